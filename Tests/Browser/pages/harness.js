// Test harness: sockets opened by the browser tests, with every event and message recorded.
window.sockets = [];
window.openSocket = function (options) {
  var socket = new io.Socket(null, options);
  var record = { socket: socket, events: [], messages: [] };
  ['connect', 'connecting', 'connect_failed', 'close', 'disconnect', 'reconnecting', 'reconnect', 'reconnect_failed']
    .forEach(function (name) {
      socket.on(name, function () { record.events.push([name].concat([].slice.call(arguments)).join(' ')); });
    });
  socket.on('message', function (m) { record.messages.push(m); });
  window.sockets.push(record);
  record.started = Date.now();
  socket.on('connect', function () { record.connectedAfter = Date.now() - record.started; });
  socket.connect();
  return window.sockets.length - 1;
};
window.state = function (i) {
  var r = window.sockets[i], s = r.socket;
  return {
    connected: s.connected, type: s.transport && s.transport.type, sid: s.transport && s.transport.sessionid,
    events: r.events, messages: r.messages, connectedAfter: r.connectedAfter,
    received: s.received, acked: s.acked, unacknowledged: s.out.length, sent: r.sent
  };
};
// Sends <prefix>1 … <prefix><count>, one every `every` ms (record.sent counts them).
window.sendNumbered = function (i, prefix, count, every) {
  var r = window.sockets[i], timer = setInterval(function () {
    r.socket.send(prefix + (r.sent + 1));
    if (++r.sent === count) clearInterval(timer);
  }, every);
  r.sent = 0;
};
// A transport that never answers (the connectTimeout path), registered like the built-in kinds.
window.addHangingTransport = function () {
  function Hang(socket, type, sid) { io.Transport.call(this, socket, type, sid); }
  Hang.prototype = Object.create(io.Transport.prototype);
  Hang.prototype.open = Hang.prototype.kill = function () {};
  Hang.check = function () { return true; };
  io.Transport.kinds.hang = Hang;
};
