/* The ticket list and the ticket page, live (both work without it).

   List: connected to /agents, whose queue rooms the server put this connection in (only queues whose
   tickets the agent may see), it counts tickets created and changed by others and offers a refresh.
   Ticket page: watches the ticket (collision detection): shows who else has it open and who is typing
   a reply, says so while this agent types, and announces a change made by someone else. */
(function () {
  "use strict";

  var box = document.querySelector("[data-live-tickets]");
  if (!box || typeof io === "undefined") return;
  var me = Number(box.dataset.agentId);
  // Well within the server's expiry of a viewer (VIEWER_TTL_SECONDS): a page renews its watch so.
  var RENEW_SECONDS = 30;
  var TYPING_IDLE_MS = 4000;

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : values[key];
    });
  }

  var socket = io("/agents", { transports: ["websocket", "polling"] });
  socket.on("connect", function () { box.dataset.connected = "true"; });
  socket.on("disconnect", function () { delete box.dataset.connected; });

  function listPage() {
    var created = {};
    var changed = {};
    function count(set) { return Object.keys(set).length; }
    function words(n, one, many) { return n === 1 ? one : format(many, { count: n }); }
    function show() {
      var parts = [];
      if (count(created)) parts.push(words(count(created), box.dataset.newOne, box.dataset.newMany));
      if (count(changed)) parts.push(words(count(changed), box.dataset.changedOne, box.dataset.changedMany));
      box.querySelector("[data-live-text]").textContent = parts.join(" · ");
      box.hidden = !parts.length;
    }
    socket.on("ticket.created", function (data) {
      if (data.actor_id === me) return;
      created[data.ticket_id] = true;
      show();
    });
    socket.on("ticket.changed", function (data) {
      if (data.actor_id === me || created[data.ticket_id]) return;
      changed[data.ticket_id] = true;
      show();
    });
    box.querySelector("[data-live-refresh]").addEventListener("click", function (event) {
      event.preventDefault();
      window.location.reload();
    });
  }

  function ticketPage() {
    var ticketId = Number(box.dataset.ticketId);
    var version = Number(box.dataset.version);
    var viewers = box.querySelector("[data-viewers]");
    var notice = box.querySelector("[data-changed-notice]");
    var typing = false;
    var idle = null;

    function showViewers(list) {
      var others = (list || []).filter(function (viewer) { return viewer.agent_id !== me; });
      viewers.textContent = "";
      if (!others.length) { viewers.hidden = true; return; }
      var names = others.map(function (viewer) { return viewer.name; });
      viewers.appendChild(document.createTextNode(format(box.dataset.viewing, { names: names.join(", ") })));
      var typists = others.filter(function (viewer) { return viewer.typing; });
      if (typists.length) {
        var line = document.createElement("span");
        line.className = "typing";
        line.textContent = " " + format(box.dataset.typing, {
          names: typists.map(function (viewer) { return viewer.name; }).join(", ")
        });
        viewers.appendChild(line);
      }
      viewers.hidden = false;
    }

    function watch() {
      socket.emit("ticket.watch", { ticket_id: ticketId }, function (answer) {
        if (answer && answer.ok) {
          box.dataset.watching = "true";
          showViewers(answer.viewers);
          if (typing) socket.emit("ticket.typing", { ticket_id: ticketId, typing: true });
        }
      });
    }

    function setTyping(now) {
      if (now === typing) return;
      typing = now;
      if (socket.connected) socket.emit("ticket.typing", { ticket_id: ticketId, typing: now });
    }

    socket.on("connect", watch);
    window.setInterval(function () { if (socket.connected) watch(); }, RENEW_SECONDS * 1000);
    socket.on("ticket.viewers", function (data) {
      if (data.ticket_id === ticketId) showViewers(data.viewers);
    });
    socket.on("ticket.changed", function (data) {
      if (data.ticket_id !== ticketId || data.actor_id === me) return;
      if (typeof data.version === "number" && data.version <= version && data.changes.indexOf("comments") === -1) return;
      var text = data.actor ? format(box.dataset.changedBy, { name: data.actor }) : box.dataset.changed;
      notice.querySelector("[data-changed-text]").textContent = text;
      notice.hidden = false;
    });

    var reply = document.querySelector("form.reply-form textarea");
    if (reply) {
      reply.addEventListener("input", function () {
        setTyping(true);
        window.clearTimeout(idle);
        idle = window.setTimeout(function () { setTyping(false); }, TYPING_IDLE_MS);
      });
      reply.addEventListener("blur", function () { window.clearTimeout(idle); setTyping(false); });
    }
    window.addEventListener("pagehide", function () {
      if (socket.connected) socket.emit("ticket.unwatch", { ticket_id: ticketId });
    });
  }

  if (box.dataset.liveTickets === "list") listPage();
  if (box.dataset.liveTickets === "ticket") ticketPage();
})();
