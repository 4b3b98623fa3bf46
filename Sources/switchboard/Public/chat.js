(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var picker = $('transport');
  var chosen = new URLSearchParams(location.search).get('transport') || 'websocket';
  picker.value = chosen;
  picker.onchange = function () { location.search = '?transport=' + picker.value; };

  var socket = new MiniSocket(chosen).connect();
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

  socket.on('connect', function () {
    $('status').textContent = 'connected over ' + chosen + ' (' + socket.sessionid.slice(0, 6) + '…)';
    if (nickname) socket.send({ nickname: nickname });
  });
  socket.on('disconnect', function () { $('status').textContent = 'disconnected'; });
  socket.on('message', function (m) {
    if (typeof m !== 'object') { line('announcement', null, String(m)); return; }
    if (m.buffer) m.buffer.forEach(function (e) { line('message', e.from, e.text); });
    if (m.message) line('message', m.message.from, m.message.text);
    if (m.announcement) line('announcement', null, m.announcement);
    if (m.users) users(m.users);
  });

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
