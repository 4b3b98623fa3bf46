// A minimal Switchboard client for the demo page: the framed codec over websocket or xhr-polling.
(function (global) {
  'use strict';
  function encode(messages) {
    return messages.map(function (m) {
      var s = (m !== null && typeof m === 'object') ? '~j~' + JSON.stringify(m) : String(m);
      return '~m~' + s.length + '~m~' + s;
    }).join('');
  }
  function decode(data) {
    var out = [], i = 0;
    while (data.substr(i, 3) === '~m~') {
      i += 3;
      var j = data.indexOf('~m~', i);
      if (j < 0) break;
      var n = Number(data.substring(i, j));
      if (!(n >= 0)) break;
      out.push(data.substr(j + 3, n));
      i = j + 3 + n;
    }
    return out;
  }
  function MiniSocket(transport, resource) {
    this.transport = transport;
    this.resource = resource || 'socket.io';
    this.sessionid = null;
    this.handlers = {};
    this.outbox = [];
    this.posting = false;
  }
  MiniSocket.prototype.on = function (name, fn) { (this.handlers[name] = this.handlers[name] || []).push(fn); return this; };
  MiniSocket.prototype.emit = function (name, arg) { (this.handlers[name] || []).forEach(function (fn) { fn(arg); }); };
  MiniSocket.prototype.url = function (path) { return location.protocol + '//' + location.host + '/' + this.resource + '/' + path; };
  MiniSocket.prototype.onData = function (data) {
    var self = this;
    decode(data).forEach(function (m) {
      if (!self.sessionid) { self.sessionid = m; self.emit('connect'); return; }
      if (m.substr(0, 3) === '~h~') { self.write(encode([m])); return; }
      if (m.substr(0, 3) === '~j~') { try { m = JSON.parse(m.substr(3)); } catch (e) { return; } }
      self.emit('message', m);
    });
  };
  MiniSocket.prototype.connect = function () {
    var self = this;
    if (this.transport === 'websocket') {
      var ws = this.ws = new WebSocket(this.url('websocket').replace(/^http/, 'ws'));
      ws.onmessage = function (e) { self.onData(e.data); };
      ws.onclose = function () { self.emit('disconnect'); };
    } else {
      this.poll();
    }
    return this;
  };
  MiniSocket.prototype.poll = function () {
    var self = this;
    fetch(this.url('xhr-polling/' + (this.sessionid || '') + '/' + Date.now()), { cache: 'no-store' })
      .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.text(); })
      .then(function (text) { self.onData(text); self.poll(); })
      .catch(function () { self.emit('disconnect'); });
  };
  MiniSocket.prototype.write = function (payload) {
    if (this.ws) { this.ws.send(payload); return; }
    this.outbox.push(payload);
    this.flush();
  };
  MiniSocket.prototype.flush = function () {
    var self = this;
    if (this.posting || !this.outbox.length) return;
    var payload = this.outbox.join('');
    this.outbox = [];
    this.posting = true;
    fetch(this.url('xhr-polling/' + this.sessionid + '/send'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'data=' + encodeURIComponent(payload)
    }).then(function () { self.posting = false; self.flush(); },
            function () { self.posting = false; self.emit('disconnect'); });
  };
  MiniSocket.prototype.send = function (message) { this.write(encode([message])); };
  global.MiniSocket = MiniSocket;
  global.MiniSocket.encode = encode;
  global.MiniSocket.decode = decode;
})(window);
