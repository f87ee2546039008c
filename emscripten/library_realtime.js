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
    hostObject: null,
    host: function() {
      var host = RT.hostObject;
      if (host !== null) return host;
      host = Module['rtHost'];
      if (!host) throw new Error('realtime-wasm: module used before web/ installed rtHost');
      return RT.hostObject = host;
    },
    staged: null,        // the string whose UTF-8 is in scratch, when it is all ASCII; else null
    scratchView: null,   // HEAPU8 view of scratch (made again after a memory growth)
    // Copies a JS string into the scratch buffer as UTF-8; returns the byte length.
    stage: function(str) {
      var need = str.length * 3 + 1;
      if (need > RT.scratchSize) {
        if (RT.scratch) _free(RT.scratch);
        RT.scratchSize = Math.max(need, 4096);
        RT.scratch = _malloc(RT.scratchSize);
        RT.scratchView = null;
      }
      var view = RT.scratchView;
      if (view === null || view.buffer !== HEAPU8.buffer) {
        view = RT.scratchView = HEAPU8.subarray(RT.scratch, RT.scratch + RT.scratchSize);
      }
      if (!RT.encoder) RT.encoder = new TextEncoder();
      var written = RT.encoder.encodeInto(str, view).written;
      // One byte per UTF-16 unit only when every character is ASCII: then byte offsets are
      // string offsets, and text inside the frame can be sliced from `str` (see stagedText).
      RT.staged = written === str.length ? str : null;
      return written;
    },
    // The text of the heap bytes [ptr, ptr + len): a slice of the staged string when they lie
    // in an all-ASCII staged frame (no copy out of the heap, no UTF-8 decoding), else decoded.
    stagedText: function(ptr, len) {
      var staged = RT.staged;
      var off = ptr - RT.scratch;
      if (staged !== null && off >= 0 && off + len <= staged.length) {
        return off === 0 && len === staged.length ? staged : staged.slice(off, off + len);
      }
      return RT.text(ptr, len);
    },
    forget: function(id) {
      if (RT.sockets[id]) {
        delete RT.sockets[id];
        RT.live--;
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
        RT.staged = null;
      } else {
        _rt_ws_on_message(client, id, 0, data.byteLength || data.size || 0, 0);
      }
    };
    socket.onclose = function(e) {
      RT.forget(id);
      var len = RT.stage(String(e.reason || '').slice(0, 123));
      _rt_ws_on_close(client, id, e.code | 0, RT.scratch, len, e.wasClean ? 1 : 0);
      RT.staged = null;
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
    RT.host().message(handle, typeId, RT.stagedText(ptr, len));
  },
  rt_emit_raw__deps: ['$RT'],
  rt_emit_raw: function(handle, ptr, len) {
    RT.host().raw(handle, RT.stagedText(ptr, len));
  },
  rt_emit_error__deps: ['$RT'],
  rt_emit_error: function(handle, code, ptr, len) {
    RT.host().error(handle, code, RT.text(ptr, len));
  },
  rt_emit_drop__deps: ['$RT'],
  rt_emit_drop: function(handle, reason, count) {
    RT.host().drop(handle, reason, count);
  },
  rt_date_now: function() { return Date.now(); },
  rt_random_u32: function() {
    var buf = new Uint32Array(1);
    crypto.getRandomValues(buf);
    return buf[0];
  },
});
