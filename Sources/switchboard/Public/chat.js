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
  // Who is here in the current channel: filled by the server's roll call (joined, present, left).
  var here = {};
  var channel = null;
  function users() {
    var ul = $('users'); ul.textContent = '';
    Object.keys(here).sort().forEach(function (name) { var li = document.createElement('li'); li.textContent = name; ul.appendChild(li); });
  }
  function channels(list) {
    var ul = $('channels'); ul.textContent = '';
    list.forEach(function (name) {
      var li = document.createElement('li');
      li.textContent = '#' + name;
      li.id = 'channel-' + name;
      if (name === channel) li.className = 'current';
      li.onclick = function () { if (name !== channel) socket.send({ channel: name }); };
      ul.appendChild(li);
    });
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
    if (m.channels) {
      // Entered a channel: its name, the list, its recent history; who is here starts with us.
      channel = m.channel;
      channels(m.channels);
      $('messages').textContent = '';
      line('announcement', null, 'now in #' + channel);
      here = {};
      if (nickname) here[nickname] = true;
      users();
    }
    if (m.buffer) m.buffer.forEach(function (e) { line('message', e.from, e.text); });
    if (m.message && m.channel === channel) line('message', m.message.from, m.message.text);
    if (m.announcement && m.channel === channel) line('announcement', null, m.announcement);
    if (m.joined && m.channel === channel && m.sid !== socket.transport.sessionid) {
      here[m.joined] = true;
      if (nickname) socket.send({ here: channel, to: m.sid });  // the roll call: tell the newcomer
    }
    if (m.present && m.channel === channel) here[m.present] = true;
    if (m.left && m.channel === channel) delete here[m.left];
    if (m.joined || m.present || m.left) users();
  });
  socket.connect();

  $('join').onsubmit = function (e) {
    e.preventDefault();
    nickname = $('nickname').value.trim();
    if (!nickname) return;
    socket.send({ nickname: nickname });
    here[nickname] = true; users();
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
