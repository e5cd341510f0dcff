/* The supervisors' wallboard: the snapshot over HTTP first, then `wallboard.changed` events on the
   /wallboard Socket.IO namespace, applied in their room's order (`seq`); a gap, a reconnect or an event
   without a number resyncs (`sync`, else the snapshot again). Times in state and waits tick locally from
   the server's moments, corrected by the server's clock. Words come from the page (data-texts). */
(function () {
  "use strict";

  var root = document.getElementById("wallboard");
  if (!root || typeof io !== "function") return;

  var texts = JSON.parse(root.dataset.texts);
  var lang = root.dataset.lang || "en";
  var percentFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var STATES = ["available", "busy", "wrap_up", "break", "offline"];
  var ROOM = "wallboard";

  var board = {
    seq: 0,
    loaded: false,
    loading: null,
    pending: [],
    clockOffset: 0, // server time minus this browser's time, in ms
    thresholds: {},
    queues: {}, // id -> row
    queueOrder: [],
    agents: {}, // id -> row
    totals: {},
    following: null,
    followSeq: 0,
    dayTimer: null,
  };

  // -- small helpers ------------------------------------------------------------------------------------

  function $(selector, scope) { return (scope || root).querySelector(selector); }
  function $all(selector, scope) { return Array.prototype.slice.call((scope || root).querySelectorAll(selector)); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] == null ? "" : String(values[key]); });
  }
  function now() { return Date.now() + board.clockOffset; }
  function secondsSince(iso) { return iso ? Math.max(0, Math.floor((now() - Date.parse(iso)) / 1000)) : null; }
  function duration(seconds) {
    if (seconds == null) return "–";
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function percent(value) { return value == null ? "–" : percentFormat.format(value) + "%"; }
  function clockTime(iso) {
    return new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  function field(scope, name) { return $("[data-field='" + name + "']", scope); }
  function setText(scope, name, value) {
    var element = field(scope, name);
    if (element && element.textContent !== String(value)) element.textContent = value;
  }
  function setLevel(scope, name, level) {
    $all("[data-level-of='" + name + "']", scope).forEach(function (element) {
      element.classList.remove("level-ok", "level-warn", "level-alert");
      if (level) element.classList.add("level-" + level);
    });
  }
  function status(text, live) {
    var element = $("[data-status]");
    element.textContent = text;
    element.classList.toggle("is-live", !!live);
  }
  function message(text) {
    var element = $("[data-message]");
    element.textContent = text || "";
    element.hidden = !text;
  }

  // -- levels (thresholds come with the snapshot) -------------------------------------------------------

  function waitingLevel(count) {
    var t = board.thresholds;
    return count > t.waiting_alert_count ? "alert" : count > t.waiting_warn_count ? "warn" : "ok";
  }
  function waitLevel(seconds) {
    var t = board.thresholds;
    return seconds >= t.wait_alert_seconds ? "alert" : seconds >= t.wait_warn_seconds ? "warn" : "ok";
  }
  function serviceLevel(value) {
    return value == null ? null : value < board.thresholds.service_level_target_percent ? "alert" : "ok";
  }
  function abandonmentLevel(value) {
    return value == null ? null : value > board.thresholds.abandonment_limit_percent ? "alert" : "ok";
  }
  function slaLevel(sla) {
    return !sla ? null : sla.breached > 0 ? "alert" : sla.at_risk > 0 ? "warn" : "ok";
  }

  // -- rendering ----------------------------------------------------------------------------------------

  function renderFigures(scope, row) {
    if (row.waiting) {
      setText(scope, "waiting.calls", row.waiting.calls);
      setText(scope, "waiting.tickets", row.waiting.tickets);
      setText(scope, "waiting.callbacks", row.waiting.callbacks);
      setLevel(scope, "waiting", waitingLevel(row.waiting_total));
    }
    if ("service_level_percent" in row) {
      setText(scope, "service_level_percent", percent(row.service_level_percent));
      setLevel(scope, "service_level", serviceLevel(row.service_level_percent));
      setText(scope, "abandonment_percent", percent(row.abandonment_percent));
      setLevel(scope, "abandonment", abandonmentLevel(row.abandonment_percent));
      var asa = row.average_speed_of_answer_seconds;
      setText(scope, "average_speed_of_answer_seconds", asa == null ? "–" : duration(Math.round(asa)));
    }
    if (row.sla) {
      setText(scope, "sla.at_risk", row.sla.at_risk);
      setLevel(scope, "sla", slaLevel(row.sla));
    }
    if (row.agents) renderStateCounts(field(scope, "agents"), row.agents);
    tickWait(scope, row);
  }

  function renderStateCounts(element, counts) {
    if (!element) return;
    element.textContent = "";
    STATES.forEach(function (state) {
      var chip = document.createElement("span");
      chip.className = "wb-chip state-" + state;
      chip.title = texts.states[state];
      chip.textContent = texts.states[state] + " " + (counts[state] || 0);
      element.appendChild(chip);
    });
  }

  function tickWait(scope, row) {
    if (!("oldest_waiting_since" in row)) return;
    var seconds = row.oldest_waiting_since ? secondsSince(row.oldest_waiting_since) : 0;
    setText(scope, "longest_wait", row.oldest_waiting_since ? duration(seconds) : "–");
    setLevel(scope, "wait", row.oldest_waiting_since ? waitLevel(seconds) : "ok");
  }

  function tile(id) {
    var element = $("[data-queue][data-id='" + id + "']");
    if (element) return element;
    element = document.getElementById("wb-queue-tile").content.firstElementChild.cloneNode(true);
    element.dataset.id = id;
    $("[data-queues]").appendChild(element);
    return element;
  }

  function renderQueue(row) {
    var element = tile(row.id);
    setText(element, "name", row.name);
    setText(element, "team", row.team || "");
    renderFigures(element, row);
    renderRisk(element, row);
  }

  function renderRisk(element, row) {
    var table = $("[data-risk]", element);
    var tickets = (row.sla && row.sla.tickets) || [];
    table.hidden = tickets.length === 0;
    var body = $("tbody", table);
    body.textContent = "";
    tickets.forEach(function (ticket) {
      var line = document.getElementById("wb-risk-row").content.firstElementChild.cloneNode(true);
      var link = field(line, "link");
      link.href = "/tickets/" + ticket.id;
      link.textContent = ticket.reference;
      setText(line, "subject", ticket.subject);
      var due = field(line, "due");
      due.textContent = clockTime(ticket.due_at) + (ticket.breached ? " · " + texts.overdue : "");
      due.classList.toggle("level-alert", ticket.breached);
      setText(line, "assignee", ticket.assignee || texts.unassigned);
      var form = $("[data-assign]", line);
      form.dataset.ticketId = ticket.id;
      fillAgentChoices($("[data-agent-choices]", form), ticket.assignee_id);
      body.appendChild(line);
    });
  }

  function fillAgentChoices(select, current) {
    select.textContent = "";
    agentList().forEach(function (agent) {
      var option = document.createElement("option");
      option.value = agent.id;
      option.textContent = agent.name + " · " + texts.states[agent.state];
      option.selected = agent.id === current;
      select.appendChild(option);
    });
  }

  function agentList() {
    return Object.keys(board.agents).map(function (id) { return board.agents[id]; }).sort(function (a, b) {
      return a.name.localeCompare(b.name, lang) || a.id - b.id;
    });
  }

  function orderQueues() {
    var container = $("[data-queues]");
    board.queueOrder.forEach(function (id) {
      var element = $("[data-queue][data-id='" + id + "']");
      if (element) container.appendChild(element);
    });
  }

  function card(agent) {
    var element = $("[data-agent][data-id='" + agent.id + "']");
    if (element) return element;
    element = document.getElementById("wb-agent-card").content.firstElementChild.cloneNode(true);
    element.dataset.id = agent.id;
    return element;
  }

  function renderAgents() {
    var list = $("[data-agents]");
    agentList().forEach(function (agent) { list.appendChild(renderAgent(agent)); });
    $all("[data-agent]", list).forEach(function (element) {
      if (!board.agents[element.dataset.id]) element.remove();
    });
    // The reassign lists name each agent's state too: keep it current (and the supervisor's choice).
    $all("[data-agent-choices] option").forEach(function (option) {
      var agent = board.agents[option.value];
      if (agent) option.textContent = agent.name + " · " + texts.states[agent.state];
    });
  }

  function renderAgent(agent) {
    var element = card(agent);
    STATES.forEach(function (state) { element.classList.toggle("state-" + state, agent.state === state); });
    setText(element, "name", agent.name);
    setText(element, "state", texts.states[agent.state] || agent.state);
    setText(element, "reason", agent.reason || "");
    setText(element, "time", agent.since ? duration(secondsSince(agent.since)) : "");
    element.classList.toggle("is-followed", board.following === agent.id);
    return element;
  }

  function renderAll() {
    $("[data-queues]").textContent = "";
    board.queueOrder.forEach(function (id) { renderQueue(board.queues[id]); });
    renderAgents();
    renderFigures($("[data-totals]"), board.totals);
  }

  // -- the snapshot and the events ----------------------------------------------------------------------

  function loadSnapshot() {
    if (board.loading) return board.loading;
    board.loading = fetch(root.dataset.snapshotUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(applySnapshot)
      .catch(function () { status(texts.reconnecting); })
      .then(function () { board.loading = null; });
    return board.loading;
  }

  function applySnapshot(snapshot) {
    board.clockOffset = Date.parse(snapshot.now) - Date.now();
    board.thresholds = snapshot.thresholds;
    board.seq = snapshot.seq;
    board.queues = {};
    board.queueOrder = snapshot.queues.map(function (row) { board.queues[row.id] = row; return row.id; });
    board.agents = {};
    snapshot.agents.forEach(function (agent) { board.agents[agent.id] = agent; });
    board.totals = snapshot.totals;
    $("[data-day-zone]").textContent = snapshot.day.timezone;
    renderAll();
    board.loaded = true;
    // A new day starts the figures over: read them again then.
    clearTimeout(board.dayTimer);
    board.dayTimer = setTimeout(loadSnapshot, Math.max(1000, Date.parse(snapshot.day.ends_at) - now() + 1000));
    var waiting = board.pending;
    board.pending = [];
    waiting.forEach(onChanged);
  }

  function merge(target, values) {
    Object.keys(values).forEach(function (key) { target[key] = values[key]; });
    return target;
  }

  function applyChange(change) {
    (change.queues || []).forEach(function (row) {
      var known = board.queues[row.id];
      if (known && row.updated_at && known.updated_at && Date.parse(row.updated_at) < Date.parse(known.updated_at)) {
        return; // an older computation published late
      }
      if (!known) {
        if (!row.name) return; // counts of a queue this board does not know yet: the next snapshot has it
        board.queues[row.id] = known = {};
        board.queueOrder.push(row.id);
      }
      merge(known, row);
      board.queueOrder.sort(function (a, b) {
        return String(board.queues[a].name).localeCompare(String(board.queues[b].name), lang) || a - b;
      });
      renderQueue(known);
    });
    (change.removed_queue_ids || []).forEach(function (id) {
      delete board.queues[id];
      board.queueOrder = board.queueOrder.filter(function (other) { return other !== id; });
      var element = $("[data-queue][data-id='" + id + "']");
      if (element) element.remove();
    });
    (change.agents || []).forEach(function (agent) { board.agents[agent.id] = agent; });
    (change.removed_agent_ids || []).forEach(function (id) { delete board.agents[id]; });
    if ((change.agents || []).length || (change.removed_agent_ids || []).length) renderAgents();
    if (change.totals) {
      merge(board.totals, change.totals);
      renderFigures($("[data-totals]"), board.totals);
    }
    orderQueues();
  }

  function onChanged(change) {
    if (!board.loaded) { board.pending.push(change); return; }
    if (change.seq == null) { loadSnapshot(); return; } // not numbered: Redis lost it
    if (change.seq <= board.seq) return; // already in what we hold
    if (change.seq > board.seq + 1) { resync(); return; } // missed some
    board.seq = change.seq;
    applyChange(change);
  }

  var socket = io(root.dataset.namespace, { autoConnect: false });

  function resync() {
    var since = {};
    since[ROOM] = board.seq;
    socket.emit("sync", { since: since }, function (answer) {
      var room = answer && answer.ok && answer.rooms[ROOM];
      if (!room || !room.complete) { loadSnapshot(); return; }
      room.events.forEach(function (entry) {
        if (entry.event === "wallboard.changed") onChanged(entry.payload);
      });
      board.seq = Math.max(board.seq, room.last_seq);
    });
  }

  socket.on("connect", function () {
    status(texts.live, true);
    resync();
    if (board.following) follow(board.following);
  });
  socket.on("disconnect", function () { status(texts.reconnecting); });
  socket.on("connect_error", function () { status(texts.reconnecting); });
  socket.on("wallboard.changed", onChanged);
  socket.on("wallboard.agent_event", function (event) {
    if (event.agent_id !== board.following || (event.seq && event.seq <= board.followSeq)) return;
    board.followSeq = event.seq || board.followSeq;
    addFollowEvent(event);
  });

  // -- following one agent ------------------------------------------------------------------------------

  function follow(agentId) {
    socket.emit("follow", { agent_id: agentId }, function (answer) {
      if (!answer || !answer.ok) { message(texts.refused + " " + ((answer && answer.error) || "")); return; }
      board.following = answer.agent_id;
      board.followSeq = answer.seq;
      var panel = $("[data-follow]");
      panel.hidden = false;
      $("[data-follow-title]").textContent = fill(texts.following, { name: answer.name });
      $("[data-follow-events]").textContent = "";
      answer.events.forEach(addFollowEvent);
      if (!answer.events.length) addFollowLine(texts.no_events);
      renderAgents();
    });
  }

  function addFollowEvent(event) {
    var template = texts.events[event.kind] || event.kind;
    var values = merge({}, event);
    if (event.kind === "presence") values.state = texts.states[event.state] || event.state;
    addFollowLine((event.at ? clockTime(event.at) + " · " : "") + fill(template, values));
  }

  function addFollowLine(text) {
    var list = $("[data-follow-events]");
    var item = document.createElement("li");
    item.textContent = text;
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 50) list.lastChild.remove();
  }

  $("[data-unfollow]").addEventListener("click", function () {
    socket.emit("unfollow", {});
    board.following = null;
    $("[data-follow]").hidden = true;
    renderAgents();
  });

  // -- the supervisor's actions -------------------------------------------------------------------------

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-follow-agent]");
    if (button) follow(Number(button.closest("[data-agent]").dataset.id));
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-set-state]")) {
      event.preventDefault();
      var option = form.elements.state.selectedOptions[0];
      var data = { agent_id: Number(form.closest("[data-agent]").dataset.id), state: option.value };
      if (option.dataset.reasonId) data.reason_id = Number(option.dataset.reasonId);
      socket.emit("presence.set", data, function (answer) {
        message(answer && answer.ok ? "" : texts.refused + " " + ((answer && answer.error) || ""));
      });
    } else if (form.matches("[data-assign]")) {
      event.preventDefault();
      var url = root.dataset.assignUrl.replace("/0/", "/" + Number(form.dataset.ticketId) + "/");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrfToken },
        body: JSON.stringify({ assignee_id: Number(form.elements.assignee_id.value) }),
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          message(response.ok ? "" : texts.refused + " " + (body.message || response.status));
        });
      });
    }
  });

  // -- the clock ----------------------------------------------------------------------------------------

  setInterval(function () {
    if (!board.loaded) return;
    board.queueOrder.forEach(function (id) {
      var element = $("[data-queue][data-id='" + id + "']");
      if (element) tickWait(element, board.queues[id]);
    });
    tickWait($("[data-totals]"), board.totals);
    $all("[data-agent]").forEach(function (element) {
      var agent = board.agents[element.dataset.id];
      if (agent && agent.since) setText(element, "time", duration(secondsSince(agent.since)));
    });
  }, 1000);

  status(texts.connecting);
  loadSnapshot().then(function () { socket.connect(); });
})();
