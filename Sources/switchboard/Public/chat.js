(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var picker = $('transport');
  // The picker lists the transports this server offers and this browser can use (the served table).
  Object.keys(io.Transport.table)
    .filter(function (t) { var kind = io.Transport.kinds[t]; return kind && kind.check(); })
    .sort(function (a, b) { return io.Transport.table[a].order - io.Transport.table[b].order; })
    .forEach(function (t) { var o = document.createElement('option'); o.value = o.textContent = t; picker.appendChild(o); });
  var chosen = new URLSearchParams(location.search).get('transport') || '';
  picker.value = chosen;
  picker.onchange = function () { location.search = picker.value ? '?transport=' + picker.value : ''; };

  var socket = new io.Socket(null, chosen ? { transports: [chosen], rememberTransport: false } : {});
  var nickname = null;

  function line(cls, from, text) {
    var p = document.createElement('p');
    p.className = cls;
    if (from) { var b = document.createElement('span'); b.className = 'from'; b.textContent = from; p.appendChild(b); }
    p.appendChild(document.createTextNode(text));
    $('messages').appendChild(p);
    $('messages').scrollTop = $('messages').scrollHeight;
  }
  function users(list) {
    var ul = $('users'); ul.textContent = '';
    list.forEach(function (name) { var li = document.createElement('li'); li.textContent = name; ul.appendChild(li); });
  }
  function connected() {
    var t = socket.transport;
    $('status').textContent = 'connected over ' + t.type + ' (' + t.sessionid.slice(0, 6) + '…)';
  }

  socket.on('connect', function () {
    connected();
    if (nickname) socket.send({ nickname: nickname });
  });
  socket.on('reconnect', connected);
  socket.on('connecting', function (t) { $('status').textContent = 'connecting over ' + t + '…'; });
  socket.on('reconnecting', function (delay) { $('status').textContent = 'reconnecting in ' + delay + ' ms…'; });
  socket.on('connect_failed', function () { $('status').textContent = 'could not connect'; });
  socket.on('disconnect', function () { $('status').textContent = 'disconnected'; });
  socket.on('message', function (m) {
    if (typeof m !== 'object') { line('announcement', null, String(m)); return; }
    if (m.buffer) m.buffer.forEach(function (e) { line('message', e.from, e.text); });
    if (m.message) line('message', m.message.from, m.message.text);
    if (m.announcement) line('announcement', null, m.announcement);
    if (m.users) users(m.users);
  });
  socket.connect();

  $('join').onsubmit = function (e) {
    e.preventDefault();
    nickname = $('nickname').value.trim();
    if (!nickname) return;
    socket.send({ nickname: nickname });
    $('join').hidden = true; $('say').hidden = false; $('text').focus();
  };
  $('say').onsubmit = function (e) {
    e.preventDefault();
    var text = $('text').value;
    if (!text) return;
    socket.send({ text: text });
    $('text').value = '';
  };
})();
