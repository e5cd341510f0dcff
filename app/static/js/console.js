/* The agent console: presence, offers, the caller's profile, calls and wrap-up, open tickets with their
   SLA countdowns, all kept live from the /agents namespace.

   No event is lost silently: every event carries its room and number; the console keeps the last number
   of each room. A number that skips (or none) reloads the snapshot over HTTP; after a reconnect the
   console asks the server what each room published since (`sync`) and reloads when a room cannot say.
   Events that arrive while the snapshot loads wait for it, and those it already holds are dropped. */
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root || typeof io === "undefined") return;
  var texts = JSON.parse(root.dataset.texts);
  var me = Number(root.dataset.agentId);
  var UNSOLVED = ["new", "open", "pending", "on_hold"];
  var ACTIVE_CALLS = ["queued", "talking", "held", "ended"];

  var seqs = {};
  var loaded = false;
  var loading = null;
  var waiting = [];
  var failedReloads = 0;
  var presence = null;
  var offer = null;
  var tickets = {};
  var calls = {};
  var reasons = [];

  function $(selector) { return root.querySelector(selector); }

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : values[key];
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function withId(template, id) { return template.replace(/\/0(?=\/|\?|$)/, "/" + id); }

  function request(method, url, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = root.dataset.csrfToken;
    }
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw data;
        return data;
      });
    });
  }

  function errorText(error) {
    if (!error) return "";
    var parts = [error.message || error.error || ""];
    var fields = (error.errors && (error.errors.json || error.errors)) || {};
    Object.keys(fields).forEach(function (name) {
      if (Array.isArray(fields[name])) parts.push(fields[name].join(" "));
    });
    return parts.filter(Boolean).join(" ");
  }

  function alertMessage(text, kind) {
    var box = $("[data-alerts]");
    var item = element("p", "flash" + (kind ? " flash-" + kind : ""), text);
    box.prepend(item);
    while (box.children.length > 5) box.removeChild(box.lastChild);
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }

  // -- snapshot and numbering ----------------------------------------------------------------------

  function loadSnapshot() {
    if (loading) return loading;
    loaded = false;
    loading = request("GET", root.dataset.snapshotUrl).then(function (snapshot) {
      seqs = Object.assign({}, snapshot.rooms);
      reasons = snapshot.break_reasons;
      presence = snapshot.presence;
      tickets = {};
      snapshot.tickets.forEach(function (ticket) { tickets[ticket.id] = ticket; });
      calls = {};
      snapshot.calls.forEach(function (call) { calls[call.call_id] = call; });
      offer = null;
      snapshot.offers.forEach(function (pending) { showOffer(pending); });
      if (!snapshot.offers.length) hideOffer();
      loaded = true;
      loading = null;
      renderReasons();
      renderPresence();
      renderTickets();
      renderCalls();
      var queued = waiting;
      waiting = [];
      queued.forEach(function (item) { receive(item.event, item.data); });
      catchUp();
    }, function () {
      loading = null;
      window.setTimeout(loadSnapshot, 3000);
    });
    return loading;
  }

  function reload() {
    failedReloads += 1;
    if (failedReloads > 3) {
      // The numbers keep disagreeing: rebuild from the snapshot once more in a while, not in a loop.
      window.setTimeout(function () { failedReloads = 0; loadSnapshot(); }, 5000);
      return;
    }
    loadSnapshot();
  }

  // Whether an event is news to apply: numbered right after the last one of its room. A gap (or an
  // event without a number) reloads the snapshot, which holds whatever the missing events said.
  function isNews(data) {
    var room = data && data.room;
    if (!room) return true;
    if (data.seq === null || data.seq === undefined) { reload(); return false; }
    var last = seqs[room];
    if (last === undefined) { seqs[room] = data.seq; return true; }
    if (data.seq <= last) return false;
    if (data.seq !== last + 1) { reload(); return false; }
    seqs[room] = data.seq;
    return true;
  }

  function receive(event, data) {
    if (!loaded) { waiting.push({ event: event, data: data }); return; }
    if (!isNews(data)) return;
    failedReloads = 0;
    var handler = HANDLERS[event];
    if (handler) handler(data);
  }

  function catchUp() {
    if (!loaded || !socket.connected) return;
    socket.emit("sync", { since: seqs }, function (answer) {
      if (!answer || !answer.ok) { reload(); return; }
      var rooms = answer.rooms || {};
      var incomplete = Object.keys(rooms).some(function (room) { return !rooms[room].complete; });
      if (incomplete) { reload(); return; }
      Object.keys(rooms).forEach(function (room) {
        rooms[room].events.forEach(function (item) { receive(item.event, item.data); });
      });
    });
  }

  // -- presence -------------------------------------------------------------------------------------

  function renderReasons() {
    var select = $("[data-break-reason]");
    select.textContent = "";
    reasons.forEach(function (reason) {
      var option = element("option", null, reason.name);
      option.value = reason.id;
      select.appendChild(option);
    });
  }

  function renderPresence() {
    if (!presence) return;
    $("[data-state-label]").textContent = texts.states[presence.state] || presence.state;
    $("[data-state-reason]").textContent = presence.state === "break" && presence.reason ? presence.reason : "";
    root.dataset.state = presence.state;
    root.querySelectorAll("[data-set-state]").forEach(function (button) {
      var wanted = button.dataset.setState;
      if (wanted === "ready") {
        button.hidden = presence.state !== "wrap_up";
      } else {
        button.setAttribute("aria-pressed", String(wanted === presence.state));
      }
    });
    tick();
  }

  function setState(wanted) {
    var data = { state: wanted === "ready" ? "available" : wanted };
    if (data.state === "break") {
      var reason = $("[data-break-reason]").value;
      if (reason) data.reason_id = Number(reason);
    }
    $("[data-state-errors]").textContent = "";
    socket.emit("presence.set", data, function (answer) {
      if (!answer || !answer.ok) {
        $("[data-state-errors]").textContent = format(texts.failed, { error: errorText(answer) });
        return;
      }
      if (answer.presence) { presence = answer.presence; renderPresence(); }
    });
  }

  // -- offers and the caller's profile --------------------------------------------------------------

  function showOffer(data) {
    offer = data;
    var card = $("[data-offer]");
    $("[data-offer-kind]").textContent = texts.kinds[data.kind] || data.kind;
    $("[data-offer-title]").textContent = data.title || "";
    $("[data-offer-queue]").textContent = data.queue || "";
    card.dataset.offerId = data.offer_id;
    card.hidden = false;
    if (data.customer || data.kind === "call" || data.kind === "callback") showCustomer(data.customer);
    tick();
  }

  function hideOffer() {
    offer = null;
    var card = $("[data-offer]");
    card.hidden = true;
    delete card.dataset.offerId;
  }

  function answerOffer(verb) {
    if (!offer) return;
    var id = offer.offer_id;
    socket.emit("offer." + verb, { offer_id: id }, function (answer) {
      if (offer && offer.offer_id === id) hideOffer();
      if (!answer || !answer.ok) alertMessage(format(texts.failed, { error: errorText(answer) }), "error");
    });
  }

  function showCustomer(customer) {
    var card = $("[data-customer]");
    var contacts = $("[data-customer-contacts]");
    var recent = $("[data-customer-tickets]");
    contacts.textContent = "";
    recent.textContent = "";
    card.hidden = false;
    var tier = $("[data-customer-tier]");
    if (!customer || !customer.id) {
      $("[data-customer-name]").textContent = texts.no_customer;
      $("[data-customer-link]").removeAttribute("href");
      tier.hidden = true;
      card.dataset.customerId = "";
      return;
    }
    card.dataset.customerId = customer.id;
    $("[data-customer-name]").textContent = customer.name || "";
    $("[data-customer-link]").href = withId(root.dataset.customerPage, customer.id);
    tier.textContent = customer.value_tier || "";
    tier.hidden = !customer.value_tier;
    request("GET", withId(root.dataset.customerApi, customer.id)).then(function (profile) {
      if (card.dataset.customerId !== String(profile.id)) return;
      $("[data-customer-name]").textContent = profile.name;
      tier.textContent = profile.value_tier || "";
      tier.hidden = !profile.value_tier;
      (profile.phones || []).concat(profile.emails || []).forEach(function (point) {
        contacts.appendChild(element("li", null, point.value));
      });
    }, function () {});
    var url = root.dataset.ticketsApi + "?customer_id=" + customer.id + "&page_size=5";
    request("GET", url).then(function (found) {
      if (card.dataset.customerId !== String(customer.id)) return;
      found.forEach(function (ticket) {
        var item = element("li");
        var link = element("a", null, ticket.reference + " " + ticket.subject);
        link.href = withId(root.dataset.ticketPage, ticket.id);
        item.appendChild(link);
        item.appendChild(element("span", "muted", " · " + (texts.statuses[ticket.status] || ticket.status)));
        recent.appendChild(item);
      });
    }, function () {});
  }

  // -- tickets --------------------------------------------------------------------------------------

  function renderTickets() {
    var list = $("[data-tickets]");
    list.textContent = "";
    var open = Object.keys(tickets).map(function (id) { return tickets[id]; });
    open.sort(function (a, b) {
      var dueA = a.sla && a.sla.length ? Date.parse(a.sla[0].due_at) : Infinity;
      var dueB = b.sla && b.sla.length ? Date.parse(b.sla[0].due_at) : Infinity;
      return dueA - dueB || b.id - a.id;
    });
    if (!open.length) list.appendChild(element("li", "muted", texts.no_tickets));
    open.forEach(function (ticket) {
      var item = element("li", "console-ticket");
      item.dataset.ticketId = ticket.id;
      var link = element("a", null, (ticket.reference ? ticket.reference + " " : "") + ticket.subject);
      link.href = withId(root.dataset.ticketPage, ticket.id);
      item.appendChild(link);
      item.appendChild(element("span", "tag", texts.statuses[ticket.status] || ticket.status));
      (ticket.sla || []).slice(0, 1).forEach(function (due) {
        var clock = element("span", "sla-countdown");
        clock.dataset.due = due.due_at;
        clock.dataset.target = texts.targets[due.target] || due.target;
        item.appendChild(clock);
      });
      list.appendChild(item);
    });
    tick();
  }

  function ticketNews(data) {
    var mine = data.assignee_id === me && UNSOLVED.indexOf(data.status) !== -1;
    var known = tickets[data.ticket_id];
    if (mine) {
      tickets[data.ticket_id] = Object.assign({}, known || { sla: [] }, {
        id: data.ticket_id, reference: data.reference || (known && known.reference),
        subject: data.subject || (known && known.subject) || "", status: data.status,
        priority: data.priority, queue_id: data.queue_id, version: data.version
      });
      // A ticket new to the list: the snapshot has its SLA due times.
      if (!known || (data.changes || []).indexOf("status") !== -1) scheduleRefresh();
    } else if (known) {
      delete tickets[data.ticket_id];
    }
    renderTickets();
  }

  var refreshTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () { refreshTimer = null; loadSnapshot(); }, 1500);
  }

  var announced = {};
  function ticketCreated(data) {
    // One ticket's news may come through several rooms (its queue's, its assignee's): told once.
    if (data.subject && !announced[data.ticket_id]) alertMessage(format(texts.new_ticket, { reference: data.reference, subject: data.subject }));
    announced[data.ticket_id] = true;
    ticketNews(data);
  }

  function slaAlert(kind) {
    return function (data) {
      var words = {
        reference: data.reference, subject: data.subject, target: texts.targets[data.target] || data.target
      };
      alertMessage(format(texts[kind], words), kind === "sla_breached" ? "error" : null);
      var ticket = tickets[data.ticket_id];
      if (ticket) {
        ticket.sla = [{ target: data.target, due_at: data.due_at, breached: kind === "sla_breached" }]
          .concat((ticket.sla || []).filter(function (due) { return due.target !== data.target; }));
        renderTickets();
      }
    };
  }

  // -- calls and wrap-up ----------------------------------------------------------------------------

  function renderCalls() {
    var list = $("[data-calls]");
    list.textContent = "";
    var active = Object.keys(calls).map(function (id) { return calls[id]; });
    if (!active.length) list.appendChild(element("li", "muted", texts.no_calls));
    var wrapping = null;
    active.forEach(function (call) {
      var item = element("li", "console-call");
      item.dataset.callId = call.call_id;
      item.appendChild(element("strong", null, call.caller || ""));
      item.appendChild(element("span", "tag call-" + call.status, texts.statuses[call.status] || call.status));
      list.appendChild(item);
      if (call.status === "ended" && !wrapping) wrapping = call;
    });
    var form = $("[data-wrap-up]");
    if (wrapping) {
      if (form.dataset.callId !== String(wrapping.call_id)) form.reset();
      form.dataset.callId = wrapping.call_id;
      $("[data-wrap-up-caller]").textContent = wrapping.caller || "";
      form.hidden = false;
    } else {
      form.hidden = true;
      delete form.dataset.callId;
    }
  }

  // Calls this console wrapped up: news of them ended (their wrap-up's own) no longer asks for one.
  var wrappedUp = {};
  function callNews(data) {
    var open = ACTIVE_CALLS.indexOf(data.status) !== -1 && !(data.status === "ended" && wrappedUp[data.call_id]);
    if (data.agent_id === me && open) {
      calls[data.call_id] = Object.assign({}, calls[data.call_id], data);
    } else {
      delete calls[data.call_id];
    }
    renderCalls();
  }

  function wrapUp(event) {
    event.preventDefault();
    var form = $("[data-wrap-up]");
    var id = form.dataset.callId;
    if (!id) return;
    var call = calls[id] || {};
    var body = { disposition: form.elements.disposition.value, notes: form.elements.notes.value };
    if (form.elements.open_ticket.checked) {
      body.ticket = { subject: format(texts.ticket_from_call, { caller: call.caller || "" }) };
    }
    $("[data-wrap-up-errors]").textContent = "";
    request("POST", withId(root.dataset.wrapUpUrl, id), body).then(function () {
      wrappedUp[id] = true;
      delete calls[id];
      form.reset();
      renderCalls();
      alertMessage(texts.wrapped_up, "success");
      scheduleRefresh();
    }, function (error) {
      $("[data-wrap-up-errors]").textContent = format(texts.failed, { error: errorText(error) });
    });
  }

  // -- clocks ---------------------------------------------------------------------------------------

  function tick() {
    var now = Date.now();
    var timer = $("[data-state-timer]");
    timer.textContent = presence && presence.since ? duration((now - Date.parse(presence.since)) / 1000) : "";
    if (offer) {
      var left = (Date.parse(offer.expires_at) - now) / 1000;
      if (left <= 0) {
        hideOffer();
      } else {
        $("[data-offer-countdown]").textContent = format(texts.expires_in, { seconds: Math.ceil(left) });
      }
    }
    root.querySelectorAll("[data-due]").forEach(function (clock) {
      var seconds = (Date.parse(clock.dataset.due) - now) / 1000;
      var words = seconds >= 0 ? texts.due_in : texts.overdue;
      clock.textContent = clock.dataset.target + " " + format(words, { time: duration(Math.abs(seconds)) });
      clock.classList.toggle("overdue", seconds < 0);
      clock.classList.toggle("due-soon", seconds >= 0 && seconds < 15 * 60);
    });
  }

  var HANDLERS = {
    "presence.changed": function (data) {
      if (data.agent_id !== me) return;
      presence = { state: data.state, reason_id: data.reason_id, reason: data.reason, since: data.since };
      renderPresence();
    },
    "offer.new": showOffer,
    "offer.ended": function (data) { if (offer && offer.offer_id === data.offer_id) hideOffer(); },
    "ticket.created": ticketCreated,
    "ticket.changed": ticketNews,
    "sla.warning": slaAlert("sla_warning"),
    "sla.breached": slaAlert("sla_breached"),
    "call.changed": callNews
  };

  // -- wiring ---------------------------------------------------------------------------------------

  var socket = io(root.dataset.socketNamespace, { transports: ["websocket", "polling"] });
  var status = $("[data-connection]");
  socket.on("connect", function () {
    status.textContent = texts.connected;
    root.classList.remove("disconnected");
    catchUp();
  });
  socket.on("disconnect", function () {
    status.textContent = texts.reconnecting;
    root.classList.add("disconnected");
  });
  Object.keys(HANDLERS).forEach(function (event) {
    socket.on(event, function (data) { receive(event, data); });
  });
  socket.on("session.ended", function () { window.location.reload(); });

  root.querySelectorAll("[data-set-state]").forEach(function (button) {
    button.addEventListener("click", function () { setState(button.dataset.setState); });
  });
  $("[data-offer-accept]").addEventListener("click", function () { answerOffer("accept"); });
  $("[data-offer-decline]").addEventListener("click", function () { answerOffer("decline"); });
  $("[data-wrap-up]").addEventListener("submit", wrapUp);
  window.setInterval(tick, 1000);
  loadSnapshot();
})();
