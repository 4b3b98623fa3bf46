/* Switchboard browser client: the Socket.IO 0.6 io.Socket for today's browsers (docs/protocol.md §8),
 * with acknowledged delivery (§11) unless `acknowledged: false`.
 * Plain ES2017, no dependencies. The server prepends the transport table it serves
 * (io.Transport.table: names, URL shapes, timers), built from Specs/. */
(function (global) {
  'use strict';
  var doc = global.document;
  var served = (global.io && global.io.Transport) || {};
  var io = global.io = global.io || {};
  var table = served.table || {};
  io.version = '0.6.0-switchboard.1';
  io.path = io.path || '/socket.io/';
  io.setPath = function (path) { io.path = path; };
  io.JSONP = io.JSONP || [];

  // --- framed codec (§2.1): lengths are UTF-16 units, i.e. String.length ---------------------
  function frame(m) {
    var s = m === null || m === undefined ? '' :
      typeof m === 'object' && !Array.isArray(m) ? '~j~' + JSON.stringify(m) : String(m);
    return '~m~' + s.length + '~m~' + s;
  }
  function encode(list) { return list.map(frame).join(''); }
  function decode(data) {
    var out = [], i = 0;
    while (data.startsWith('~m~', i)) {
      var j = i + 3;
      while (data.charCodeAt(j) >= 48 && data.charCodeAt(j) <= 57) j++;
      if (j === i + 3 || !data.startsWith('~m~', j)) break;
      var start = j + 3, end = start + Number(data.slice(i + 3, j));
      if (end > data.length) break;
      out.push(data.slice(start, end));
      i = end;
    }
    return out;
  }

  // A cache buster that never repeats, even for two requests in one millisecond.
  var last = 0;
  function stamp() { last = Math.max(Date.now(), last + 1); return last; }

  // --- transports -------------------------------------------------------------------------
  // A transport is one attempt to carry the session over one connection kind. It reports to its
  // socket: _onConnect (the SID), _onMessage, _onOpen (a resumed connection is up), _onClose (it
  // is gone). The socket keeps the messages to send (socket.out); a transport writes them.
  function Transport(socket, type, sessionid) {
    this.socket = socket;
    this.type = type;
    this.sessionid = sessionid || null;
    this.spec = table[type] || {};
    this.closed = false;
    this.echoes = [];      // heartbeat echoes for the next write
    this.written = 0;      // the number of the last message this connection has carried
    this.acking = false;   // messages arrived on a socket or stream: acknowledge them (§11)
    this.heard = 0;        // the highest `~a~<n>` that came over this connection
    this.posting = false;
  }
  Transport.table = table;
  Transport.resource = served.resource || 'socket.io';
  Transport.prototype.base = function (scheme) {
    var o = this.socket.options;
    return (scheme || (o.secure ? 'https' : 'http')) + '://' + this.socket.host + ':' + o.port + '/' + o.resource + '/' + this.type;
  };
  // GET/upgrade URL from the served URL shape (its path segments).
  Transport.prototype.url = function (scheme) {
    var self = this, url = this.base(scheme);
    (this.spec.segments || ['sid']).forEach(function (segment) {
      url += '/' + (segment === 'sid' ? self.sessionid || '' : segment === 'index' ? self.index : stamp());
    });
    // Acknowledged delivery: how many of the server's messages this session has (§11.1).
    return url.replace(/\/+$/, '') + (this.socket.ack ? '?ack=' + this.socket.received : '');
  };
  // In acknowledged mode (§11.2) `~a~<n>` releases what the server has, `~b~<n>` numbers the
  // messages after it from n + 1, and a message the socket already has is dropped.
  Transport.prototype.onData = function (payload) {
    if (this.closed) return;
    this.alive();
    var self = this, s = this.socket, number = s.received, gap = false;
    decode(payload).forEach(function (m) {
      if (self.closed || gap) return;
      if (!self.sessionid) { self.sessionid = m; s._onConnect(self); return; }
      if (m.startsWith('~h~')) { self.echoes.push(m); return; }
      if (s.ack) {
        var control = /^~([ab])~(\d+)$/.exec(m);
        if (control && control[1] === 'a') { self.heard = Math.max(self.heard, Number(control[2])); s.release(self.heard); return; }
        if (control) { number = Number(control[2]); return; }
        self.acking = !self.polls;  // a poll acknowledges with the next poll's ack=<n>
        if (++number <= s.received) return;
        if (number > s.received + 1) { gap = true; return; }
        s.received = number;
      }
      if (m.startsWith('~j~')) {
        try { m = JSON.parse(m.slice(3)); } catch (e) { m = null; }
        // Only an object is a JSON message: anything else is a bad frame, never delivered (§2.1).
        if (m === null || typeof m !== 'object' || Array.isArray(m)) { console.warn('socket.io: bad ~j~ frame dropped'); return; }
      }
      s._onMessage(m);
    });
    if (gap) return this.drop();  // never from a correct server; the next connection's ack=<n> resyncs
    this.flush();
  };
  // Streams carry a heartbeat at least every heartbeatInterval: silence beyond interval + timeout is a drop.
  Transport.prototype.alive = function () {
    var self = this, s = this.spec;
    clearTimeout(this.stall);
    if (s.heartbeatInterval && !this.closed) this.stall = setTimeout(function () { self.drop(); }, s.heartbeatInterval + s.timeout);
  };
  Transport.prototype.opened = function () { if (!this.closed) { this.alive(); this.socket._onOpen(this); } };
  Transport.prototype.onClose = function () {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.stall);
    this.kill();
    this.socket._onClose(this);
  };
  Transport.prototype.close = function () { this.closed = true; clearTimeout(this.stall); this.kill(); };
  // The connection goes away as if the network dropped it (tests use this).
  Transport.prototype.drop = function () { this.kill(); this.onClose(); };
  // Writes what is due: heartbeat echoes, then in acknowledged mode `~a~<received>` and `~b~<base>`
  // before the messages this connection has not carried yet (§11.2). Without acknowledged delivery
  // a message is forgotten once written, as in the original (§1).
  Transport.prototype.flush = function () {
    var s = this.socket;
    if (this.closed || !this.sessionid || !this.writable()) return;
    var from = Math.max(this.written, s.acked), frames = s.out.slice(from - s.acked);
    if (!frames.length && !this.echoes.length && !this.acking) return;
    var control = (s.ack ? ['~a~' + s.received] : []).concat(this.echoes, s.ack && frames.length ? ['~b~' + from] : []);
    this.echoes = [];
    this.acking = false;
    this.written = from + frames.length;
    if (!s.ack) s.release(this.written);
    this.carry(encode(control) + frames.join(''), frames);
  };
  // HTTP transports: one POST at a time, `data=<payload>` form-encoded (§3). Its `ok` acknowledges
  // the messages it carried (§11.2); when it fails the connection counts as dropped.
  Transport.prototype.writable = function () { return !this.posting; };
  Transport.prototype.carry = function (payload, frames) {
    var self = this, s = this.socket, top = this.written;
    this.posting = true;
    this.post(payload).then(function (r) {
      if (!r.ok && r.type !== 'opaque') throw new Error(r.status);
      self.posting = false;
      if (s.ack && s.transport && s.transport.sessionid === self.sessionid) s.release(top);
      if (s.ack && frames.length && !self.polls) self.expect(top);
      self.flush();
    }).catch(function () {
      self.posting = false;
      if (!s.ack && !self.closed) { s.out = frames.concat(s.out); s.acked -= frames.length; }  // sent again, as before
      self.drop();
    });
  };
  // A stream whose POSTed messages arrived expects the server's `~a~` for them on the stream at
  // once (§11.2); none within half the grace means the stream is gone (a cut stream in an iframe
  // shows no other sign), and it is dropped in time to resume the session.
  Transport.prototype.expect = function (top) {
    var self = this;
    setTimeout(function () { if (!self.closed && self.heard < top) self.drop(); }, (this.spec.closeTimeout || 8000) / 2);
  };
  Transport.prototype.post = function (payload) {
    return fetch(this.base() + '/' + this.sessionid + '/send', {
      method: 'POST', mode: this.noCors ? 'no-cors' : 'cors', credentials: 'include',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'data=' + encodeURIComponent(payload)
    });
  };

  var kinds = {};

  function WS(socket, type, sid) { Transport.call(this, socket, type, sid); }
  WS.prototype = Object.create(Transport.prototype);
  WS.prototype.open = function () {
    var self = this, ws = this.ws = new WebSocket(this.url(this.socket.options.secure ? 'wss' : 'ws'));
    ws.onopen = function () { self.opened(); };
    ws.onmessage = function (e) { self.onData(e.data); };
    ws.onclose = function () { self.onClose(); };
  };
  WS.prototype.writable = function () { return this.ws.readyState === 1; };
  WS.prototype.carry = function (payload) { this.ws.send(payload); };
  WS.prototype.kill = function () {
    var ws = this.ws;
    if (ws) { ws.onopen = ws.onmessage = ws.onclose = null; try { ws.close(); } catch (e) { /* gone */ } }
  };
  kinds.websocket = WS;
  WS.check = function () { return typeof global.WebSocket === 'function'; };

  // flashsocket: the same over a Flash WebSocket shim (web-socket-js); only when one is loaded.
  function Flash(socket, type, sid) { WS.call(this, socket, type, sid); }
  Flash.prototype = Object.create(WS.prototype);
  Flash.check = function () {
    var ws = global.WebSocket;
    return !!(ws && typeof ws.__addTask === 'function' && global.navigator &&
      navigator.mimeTypes && navigator.mimeTypes['application/x-shockwave-flash']);
  };
  kinds.flashsocket = Flash;

  function SSE(socket, type, sid) { Transport.call(this, socket, type, sid); }
  SSE.prototype = Object.create(Transport.prototype);
  SSE.prototype.open = function () {
    var self = this, es = this.es = new EventSource(this.url(), { withCredentials: true });
    es.onopen = function () { self.opened(); };
    es.onmessage = function (e) { self.onData(JSON.parse(e.data)); };
    // EventSource would reconnect by itself; the socket decides instead.
    es.onerror = function () { self.onClose(); };
  };
  SSE.prototype.kill = function () { if (this.es) { this.es.onopen = this.es.onmessage = this.es.onerror = null; this.es.close(); } };
  SSE.check = function () { return typeof global.EventSource === 'function'; };
  kinds['server-events'] = SSE;

  // htmlfile: the server calls parent.s._(payload, document) from a forever iframe; each socket
  // gets an intermediate iframe of its own that defines `s`, so sockets never mix.
  function HTMLFile(socket, type, sid) { Transport.call(this, socket, type, sid); }
  HTMLFile.prototype = Object.create(Transport.prototype);
  HTMLFile.prototype.open = function () {
    var self = this, outer = this.frame = doc.createElement('iframe');
    outer.style.display = 'none';
    doc.body.appendChild(outer);
    var inner = outer.contentDocument;
    inner.open(); inner.write('<html><body></body></html>'); inner.close();
    outer.contentWindow.s = { _: function (payload) { self.onData(payload); } };
    var stream = inner.createElement('iframe');
    stream.src = this.url();
    stream.onload = function () {  // the stream ended (or was refused)
      try { if (stream.contentWindow.location.href === 'about:blank') return; } catch (e) { /* cross-origin page */ }
      self.onClose();
    };
    inner.body.appendChild(stream);
    if (this.sessionid) this.opened();  // a refused resume shows up as the iframe's load
  };
  HTMLFile.prototype.kill = function () {
    if (this.frame) {
      try { this.frame.contentWindow.s._ = function () {}; } catch (e) { /* gone */ }
      this.frame.remove();
      this.frame = null;
    }
  };
  HTMLFile.check = function () { return !!doc; };
  kinds.htmlfile = HTMLFile;

  // xhr-multipart: a streamed fetch of multipart/x-mixed-replace, each part read as it arrives.
  function Multipart(socket, type, sid) { Transport.call(this, socket, type, sid); }
  Multipart.prototype = Object.create(Transport.prototype);
  Multipart.prototype.open = function () {
    var self = this, buffer = '', decoder = new TextDecoder();
    this.abort = new AbortController();
    fetch(this.url(), { cache: 'no-store', credentials: 'include', signal: this.abort.signal }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      self.opened();
      var reader = r.body.getReader();
      return (function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error('end');
          buffer += decoder.decode(chunk.value, { stream: true });
          if (buffer.startsWith('--socketio\n')) buffer = buffer.slice(11);
          for (;;) {
            var head = buffer.indexOf('\n\n'), end = head < 0 ? -1 : buffer.indexOf('\n--socketio\n', head + 2);
            if (end < 0) break;
            var part = buffer.slice(head + 2, end);
            buffer = buffer.slice(end + 12);
            self.onData(part);
          }
          return read();
        });
      })();
    }).catch(function () { self.onClose(); });
  };
  Multipart.prototype.kill = function () { if (this.abort) this.abort.abort(); };
  Multipart.check = function () { return typeof global.ReadableStream === 'function' && typeof global.fetch === 'function'; };
  kinds['xhr-multipart'] = Multipart;

  // xhr-polling: one GET at a time; each answer is one payload.
  function Polling(socket, type, sid) { Transport.call(this, socket, type, sid); }
  Polling.prototype = Object.create(Transport.prototype);
  Polling.prototype.polls = true;
  // Resumed with acknowledged delivery, it counts as open at once (the HEAD found the session):
  // what waits to be sent need not wait for the server to have something to say.
  Polling.prototype.open = function () { this.poll(); if (this.sessionid && this.socket.ack) this.opened(); };
  Polling.prototype.poll = function () {
    var self = this;
    this.abort = new AbortController();
    fetch(this.url(), { cache: 'no-store', credentials: 'include', signal: this.abort.signal }).then(function (r) {
      if (r.status !== 200) throw new Error(r.status);
      return r.text();
    }).then(function (text) {
      if (self.closed) return;
      if (!self.polled) { self.polled = true; if (self.sessionid) self.opened(); }
      self.onData(text);
      if (!self.closed) self.poll();
    }).catch(function () { self.onClose(); });
  };
  Polling.prototype.kill = function () { if (this.abort) this.abort.abort(); };
  Polling.check = function () { return typeof global.fetch === 'function'; };
  kinds['xhr-polling'] = Polling;

  // jsonp-polling: script tags calling io.JSONP[index]._(payload); POSTs as form-encoded no-cors
  // fetches (never through a textarea, which would turn \n into \r\n: §6.6).
  function JSONP(socket, type, sid) {
    Transport.call(this, socket, type, sid);
    this.index = io.JSONP.length;
    this.noCors = true;
    io.JSONP.push(this);
  }
  JSONP.prototype = Object.create(Polling.prototype);
  JSONP.prototype.poll = function () {
    var self = this, script = this.script = doc.createElement('script'), answered = false;
    this._ = function (payload) { answered = true; self.answer = payload; };
    script.src = this.url();
    script.async = true;
    script.onload = function () {
      script.remove();
      if (self.closed) return;
      if (!answered) return self.onClose();
      if (!self.polled) { self.polled = true; if (self.sessionid) self.opened(); }
      self.onData(self.answer);
      if (!self.closed) self.poll();
    };
    script.onerror = function () { script.remove(); self.onClose(); };
    doc.head.appendChild(script);
  };
  // A script tag cannot be aborted: a poll still under way may yet be answered with messages of
  // this session. They go to the socket, which delivers them before those of its next transport.
  JSONP.prototype.kill = function () {
    var socket = this.socket, sid = this.sessionid, script = this.script;
    this._ = function (payload) { if (payload) socket._onLate(sid, payload); };
    if (script) script.onload = script.onerror = function () { script.remove(); };
  };
  JSONP.check = function () { return !!doc && typeof global.fetch === 'function'; };
  kinds['jsonp-polling'] = JSONP;

  // --- the socket -------------------------------------------------------------------------
  function Socket(host, options) {
    var loc = global.location || {}, o = this.options = {
      secure: loc.protocol === 'https:',
      resource: Transport.resource,
      transports: Object.keys(table).filter(function (t) { return kinds[t]; })
        .sort(function (a, b) { return table[a].order - table[b].order; }),
      transportOptions: {},
      rememberTransport: true,
      connectTimeout: 5000,
      tryTransportsOnConnectTimeout: true,
      reconnect: true,
      reconnectionDelay: 500,
      maxReconnectionAttempts: 10,
      acknowledged: true
    };
    Object.assign(o, options || {});
    if (!o.port) o.port = loc.port || (o.secure ? 443 : 80);
    this.host = host || loc.hostname;
    this.connected = this.connecting = this.reconnecting = false;
    this.transport = null;
    // Acknowledged delivery (§11): out holds the messages (frames) not yet acknowledged, numbered
    // from acked + 1 (without it: not yet written); received counts the server's messages.
    this.out = [];
    this.acked = this.received = 0;
    this.late = [];
    this.events = {};
    this.attempts = 0;
  }
  Socket.prototype.on = Socket.prototype.addEvent = function (name, fn) {
    (this.events[name] = this.events[name] || []).push(fn);
    return this;
  };
  Socket.prototype.off = Socket.prototype.removeEvent = function (name, fn) {
    this.events[name] = (this.events[name] || []).filter(function (f) { return f !== fn; });
    return this;
  };
  Socket.prototype.emit = function (name) {
    var args = [].slice.call(arguments, 1), self = this;
    (this.events[name] || []).slice().forEach(function (fn) { fn.apply(self, args); });
    return this;
  };
  Socket.prototype.make = function (type, sid) {
    var t = new kinds[type](this, type, sid);
    var extra = this.options.transportOptions[type];
    if (extra) Object.assign(t.spec = Object.assign({}, t.spec), extra);
    return t;
  };
  Socket.prototype.connect = function () {
    if (this.connected || this.connecting) return this;
    var o = this.options, remembered = o.rememberTransport && doc && /(?:^|;\s*)socketio=([^;]*)/.exec(doc.cookie);
    var list = o.transports.slice();
    if (remembered && list.indexOf(decodeURIComponent(remembered[1])) > 0) {
      list.splice(list.indexOf(decodeURIComponent(remembered[1])), 1);
      list.unshift(decodeURIComponent(remembered[1]));
    }
    this.candidates = list.filter(function (t) { return kinds[t] && kinds[t].check(); });
    this.ack = o.acknowledged !== false;
    this.acked = this.received = 0;  // a new session: what waits in out is numbered from 1
    this.connecting = true;
    this.next();
    return this;
  };
  // Tries the next candidate; falls back on failure, or on connectTimeout without a SID.
  Socket.prototype.next = function () {
    var self = this, type = this.candidates.shift();
    clearTimeout(this.timer);
    if (this.transport) this.transport.close();
    if (!type) {
      this.connecting = false;
      this.transport = null;
      return this.emit('connect_failed');
    }
    this.transport = this.make(type);
    this.emit('connecting', type);
    this.timer = setTimeout(function () {
      if (self.connected || !self.connecting) return;
      if (self.options.tryTransportsOnConnectTimeout) self.next(); else { self.connecting = false; self.transport.close(); self.emit('connect_failed'); }
    }, this.options.connectTimeout);
    this.transport.open();
  };
  Socket.prototype._onConnect = function (t) {
    if (t !== this.transport) return;
    clearTimeout(this.timer);
    this.connected = true;
    this.connecting = false;
    if (this.options.rememberTransport && doc) doc.cookie = 'socketio=' + encodeURIComponent(t.type) + '; path=/';
    this.emit('connect');
    t.flush();
  };
  Socket.prototype._onOpen = function (t) {
    if (t !== this.transport || !this.reconnecting) return;
    this.connected = true;
    this.reconnecting = false;
    var late = this.late;
    this.late = [];
    late.forEach(function (payload) { t.onData(payload); });
    this.emit('reconnect', t.type, this.attempts);
    this.attempts = 0;
    t.flush();
  };
  Socket.prototype._onMessage = function (m) { this.emit('message', m); };
  // The server has messages 1 … n: they are not sent again.
  Socket.prototype.release = function (n) {
    n = Math.min(n, this.acked + this.out.length);
    if (n > this.acked) { this.out.splice(0, n - this.acked); this.acked = n; }
  };
  Socket.prototype._onLate = function (sid, payload) {
    var t = this.transport;
    if (!t || t.sessionid !== sid || !(this.connected || this.reconnecting)) return;
    if (this.connected) t.onData(payload); else this.late.push(payload);
  };
  Socket.prototype._onClose = function (t) {
    if (t !== this.transport) return;
    if (this.connecting) return this.next();  // not connected yet: the next transport, at once
    var was = this.connected;
    this.connected = false;
    if (was) this.emit('close');
    if (this.options.reconnect && t.sessionid) this.reconnect();
    else this.end();
  };
  Socket.prototype.reconnect = function () {
    var self = this, o = this.options;
    if (this.attempts >= o.maxReconnectionAttempts) { this.emit('reconnect_failed'); return this.end(); }
    var delay = o.reconnectionDelay * Math.pow(2, this.attempts++);
    this.reconnecting = true;
    this.emit('reconnecting', delay, this.attempts);
    this.timer = setTimeout(function () { self.resume(); }, delay);
  };
  // Re-attaches with the SID: first asks whether the session is still there (HEAD on its path:
  // 404 when the server's grace is over, docs/protocol.md §3), then opens the same kind of
  // transport on it.
  Socket.prototype.resume = function () {
    var self = this, old = this.transport, t = this.make(old.type, old.sessionid);
    this.transport = t;
    fetch(t.base() + '/' + t.sessionid, {
      method: 'HEAD', mode: t.noCors ? 'no-cors' : 'cors', credentials: 'include'
    }).then(function (r) {
      if (t !== self.transport) return;
      if (r.status === 404) return self.end();
      if (!r.ok && r.type !== 'opaque') throw new Error(r.status);
      t.open();
    }).catch(function () { if (t === self.transport) self.reconnect(); });
  };
  // The session is over.
  Socket.prototype.end = function () {
    clearTimeout(this.timer);
    var was = this.connected || this.reconnecting || this.transport;
    this.connected = this.connecting = this.reconnecting = false;
    this.attempts = 0;
    if (this.transport) this.transport.close();
    this.out = [];
    this.acked = this.received = 0;
    this.late = [];
    if (was) this.emit('disconnect');
  };
  Socket.prototype.disconnect = function () {
    if (this.connected || this.connecting || this.reconnecting) this.end();
    return this;
  };
  // Messages sent while not connected wait, and leave as one payload on the next connection.
  Socket.prototype.send = function (data) {
    this.out.push(...(Array.isArray(data) ? data : [data]).map(frame));
    if (this.connected) this.transport.flush();
    return this;
  };

  io.Socket = Socket;
  io.Transport = Transport;
  io.Transport.kinds = kinds;
  io.encode = encode;
  io.decode = decode;
})(typeof window !== 'undefined' ? window : this);
