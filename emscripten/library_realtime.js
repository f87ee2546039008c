// Emscripten JS library: the browser side of the runtime. The C++ core never sees a WebSocket or
// a JS value; it calls these functions with integers and (pointer, length) byte ranges, and they
// call back into exported C functions (rt_ws_on_*) the same way.
//
// Why not emscripten's websocket.h (3.1.6)? Its emscripten_websocket_delete() never frees a
// socket (`delete WS.sockets[socket]` keys by the object), so every reconnect leaks; it mallocs
// and frees every message; it always uses the global WebSocket (no per-manager constructor, no
// Node without a global); and a bad URL throws through the wasm frames. This library keeps the
// same shape (open/send/close/delete + open/message/close callbacks) without those flaws.
mergeInto(LibraryManager.library, {
  $RT__deps: ['malloc', 'free'],
  $RT: {
    sockets: {},         // socket id -> WebSocket (library objects are serialized: no Map here)
    live: 0,
    nextSocket: 1,
    scratch: 0,          // reusable heap buffer for inbound text
    scratchSize: 0,
    encoder: null,
    decoder: null,
    host: function() {
      var host = Module['rtHost'];
      if (!host) throw new Error('realtime-wasm: module used before web/ installed rtHost');
      return host;
    },
    // Copies a JS string into the scratch buffer as UTF-8; returns the byte length.
    stage: function(str) {
      var need = str.length * 3 + 1;
      if (need > RT.scratchSize) {
        if (RT.scratch) _free(RT.scratch);
        RT.scratchSize = Math.max(need, 4096);
        RT.scratch = _malloc(RT.scratchSize);
      }
      if (!RT.encoder) RT.encoder = new TextEncoder();
      return RT.encoder.encodeInto(str, HEAPU8.subarray(RT.scratch, RT.scratch + RT.scratchSize)).written;
    },
    forget: function(id) {
      if (RT.sockets[id]) {
        delete RT.sockets[id];
        RT.live--;
      }
    },
    // Copies bytes (a Uint8Array) into the scratch buffer.
    stageBytes: function(bytes) {
      if (bytes.length > RT.scratchSize) {
        if (RT.scratch) _free(RT.scratch);
        RT.scratchSize = Math.max(bytes.length, 4096);
        RT.scratch = _malloc(RT.scratchSize);
      }
      HEAPU8.set(bytes, RT.scratch);
      return bytes.length;
    },
    // Stages several strings back to back; returns [pointer, length] pairs.
    stageAll: function(strs) {
      var joined = strs.join('');
      RT.stage(joined);
      var out = [], ptr = RT.scratch;
      for (var i = 0; i < strs.length; i++) {
        var len = lengthBytesUTF8(strs[i]);
        out.push(ptr, len);
        ptr += len;
      }
      return out;
    },
    streams: {},       // SSE stream id -> { handle, close() }
    liveStreams: 0,
    nextStream: 1,
    forgetStream: function(id) {
      var stream = RT.streams[id];
      if (!stream) return null;
      delete RT.streams[id];
      RT.liveStreams--;
      return stream;
    },
    // EventSource transport: listen to one more event name on a handle's open EventSources.
    sseListen: function(handle, type) {
      for (var id in RT.streams) {
        var stream = RT.streams[id];
        if (stream.handle === handle && stream.listen) stream.listen(type);
      }
    },
    text: function(ptr, len) {
      if (!RT.decoder) RT.decoder = new TextDecoder();
      return len ? RT.decoder.decode(HEAPU8.subarray(ptr, ptr + len)) : '';
    },
  },

  // Opens a WebSocket for the C++ client `client` (its pointer, passed back in callbacks).
  // Returns a socket id, or 0 when the socket cannot be created (bad URL, no WebSocket at all).
  rt_ws_open__deps: ['$RT', 'rt_ws_on_open', 'rt_ws_on_message', 'rt_ws_on_close'],
  rt_ws_open: function(client, handle, urlPtr, urlLen, protocolsPtr, protocolsLen) {
    var url = RT.text(urlPtr, urlLen);
    var protocols = protocolsLen ? RT.text(protocolsPtr, protocolsLen).split(',') : undefined;
    var socket;
    try {
      var Ctor = RT.host().webSocketFor(handle);
      socket = protocols ? new Ctor(url, protocols) : new Ctor(url);
    } catch (e) {
      return 0;
    }
    socket.binaryType = 'arraybuffer';
    var id = RT.nextSocket++;
    RT.sockets[id] = socket;
    RT.live++;
    socket.onopen = function() { _rt_ws_on_open(client, id); };
    socket.onmessage = function(e) {
      var data = e.data;
      if (typeof data === 'string') {
        var len = RT.stage(data);
        _rt_ws_on_message(client, id, RT.scratch, len, 1);
      } else {
        _rt_ws_on_message(client, id, 0, data.byteLength || data.size || 0, 0);
      }
    };
    socket.onclose = function(e) {
      RT.forget(id);
      var len = RT.stage(String(e.reason || '').slice(0, 123));
      _rt_ws_on_close(client, id, e.code | 0, RT.scratch, len, e.wasClean ? 1 : 0);
    };
    socket.onerror = function() {};  // a close event always follows
    return id;
  },

  rt_ws_send__deps: ['$RT'],
  rt_ws_send: function(id, ptr, len) {
    var socket = RT.sockets[id];
    if (socket && socket.readyState === 1) socket.send(RT.text(ptr, len));
  },

  rt_ws_close__deps: ['$RT'],
  rt_ws_close: function(id, code, reasonPtr, reasonLen) {
    var socket = RT.sockets[id];
    if (!socket) return;
    try {
      socket.close(code, RT.text(reasonPtr, reasonLen));
    } catch (e) {
      socket.close();  // 4000 is valid, but a foreign constructor may only accept 1000
    }
  },

  // Forgets a socket: no more callbacks; closes it if it is still connecting or open.
  rt_ws_release__deps: ['$RT'],
  rt_ws_release: function(id) {
    var socket = RT.sockets[id];
    if (!socket) return;
    RT.forget(id);
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = function() {};
    if (socket.readyState < 2) {
      try { socket.close(1000); } catch (e) {}
    }
  },

  rt_ws_live_sockets__deps: ['$RT'],
  rt_ws_live_sockets: function() { return RT.live; },

  // ---- events from C++ to the web/ layer ----
  rt_emit_state__deps: ['$RT'],
  rt_emit_state: function(handle, newState, oldState) {
    RT.host().state(handle, newState, oldState);
  },
  rt_emit_message__deps: ['$RT'],
  rt_emit_message: function(handle, typeId, ptr, len) {
    RT.host().message(handle, typeId, RT.text(ptr, len));
  },
  rt_emit_raw__deps: ['$RT'],
  rt_emit_raw: function(handle, ptr, len) {
    RT.host().raw(handle, RT.text(ptr, len));
  },
  rt_emit_error__deps: ['$RT'],
  rt_emit_error: function(handle, code, ptr, len) {
    RT.host().error(handle, code, RT.text(ptr, len));
  },
  rt_emit_close__deps: ['$RT'],
  rt_emit_close: function(handle, code, ptr, len, clean) {
    RT.host().close(handle, code, RT.text(ptr, len), !!clean);
  },
  rt_emit_drop__deps: ['$RT'],
  rt_emit_drop: function(handle, reason, count) {
    RT.host().drop(handle, reason, count);
  },
  // ---- Server-Sent Events: a fetch stream fed to the C++ parser, or the browser's EventSource ----
  rt_sse_open__deps: ['$RT', 'rt_sse_on_open', 'rt_sse_on_bytes', 'rt_sse_on_event', 'rt_sse_on_end',
                      'rt_sse_on_retrying'],
  rt_sse_open__postset: "Module['rtSseListen'] = function(handle, type) { RT.sseListen(handle, type); };",
  rt_sse_open: function(client, handle, urlPtr, urlLen, idPtr, idLen) {
    var url = RT.text(urlPtr, urlLen);
    var lastEventId = RT.text(idPtr, idLen);
    var request = RT.host().sseRequest(handle);
    try {
      var base = typeof location === 'object' && location ? location.href : undefined;
      url = new URL(url, base).toString();
    } catch (e) {
      return 0;
    }
    var id = RT.nextStream++;
    RT.liveStreams++;
    if (request.transport === 'eventsource') {
      var ES = request.EventSource;
      var es;
      try {
        es = new ES(url, { withCredentials: !!request.withCredentials });
      } catch (e) {
        RT.liveStreams--;
        return 0;
      }
      var deliver = function(e) {
        var p = RT.stageAll([e.type, String(e.data), String(e.lastEventId || '')]);
        _rt_sse_on_event(client, id, p[0], p[1], p[2], p[3], p[4], p[5]);
      };
      var listening = {};
      RT.streams[id] = {
        handle: handle,
        close: function() { es.close(); },
        listen: function(type) {
          if (listening[type]) return;
          listening[type] = true;
          es.addEventListener(type, deliver);
        },
      };
      RT.streams[id].listen('message');
      request.types.forEach(function(type) { RT.streams[id].listen(type); });
      es.onopen = function() {
        var p = RT.stageAll(['text/event-stream']);
        _rt_sse_on_open(client, id, 200, p[0], p[1]);
      };
      es.onerror = function() {
        if (!RT.streams[id]) return;
        if (es.readyState === 2) {
          // The browser failed the connection (HTTP error or wrong type; it does not say which):
          // status 0 tells the session so.
          _rt_sse_on_open(client, id, 0, 0, 0);
        } else {
          _rt_sse_on_retrying(client, id);
        }
      };
      return id;
    }
    var controller = new AbortController();
    RT.streams[id] = { handle: handle, close: function() { controller.abort(); } };
    var headers = Object.assign({ 'Accept': 'text/event-stream' }, request.headers || {});
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    var init = {
      method: request.method || 'GET',
      headers: headers,
      cache: 'no-store',
      credentials: request.withCredentials ? 'include' : 'same-origin',
      signal: controller.signal,
    };
    if (request.body != null) init.body = request.body;
    var live = function() { return RT.streams[id] !== undefined; };
    var end = function() {
      if (RT.forgetStream(id)) _rt_sse_on_end(client, id);
    };
    (request.fetch || fetch)(url, init).then(function(response) {
      if (!live()) return;
      var p = RT.stageAll([response.headers.get('content-type') || '']);
      _rt_sse_on_open(client, id, response.status, p[0], p[1]);
      if (!live() || !response.body) return end();
      var reader = response.body.getReader();
      var pump = function() {
        return reader.read().then(function(r) {
          if (!live()) return reader.cancel().catch(function() {});
          if (r.done) return end();
          var len = RT.stageBytes(r.value);
          _rt_sse_on_bytes(client, id, RT.scratch, len);
          return pump();
        });
      };
      return pump();
    }).catch(end);
    return id;
  },

  rt_sse_close__deps: ['$RT'],
  rt_sse_close: function(id) {
    var stream = RT.forgetStream(id);
    if (stream) {
      try { stream.close(); } catch (e) {}
    }
  },

  rt_sse_live_streams__deps: ['$RT'],
  rt_sse_live_streams: function() { return RT.liveStreams; },

  rt_emit_sse__deps: ['$RT'],
  rt_emit_sse: function(handle, typeId, typePtr, typeLen, dataPtr, dataLen, idPtr, idLen, isJson) {
    RT.host().sse(handle, typeId, RT.text(typePtr, typeLen), RT.text(dataPtr, dataLen),
                  RT.text(idPtr, idLen), isJson);
  },
  rt_emit_http_error__deps: ['$RT'],
  rt_emit_http_error: function(handle, code, ptr, len, status) {
    RT.host().error(handle, code, RT.text(ptr, len), status);
  },

  rt_date_now: function() { return Date.now(); },
  rt_random_u32: function() {
    var buf = new Uint32Array(1);
    crypto.getRandomValues(buf);
    return buf[0];
  },
});
