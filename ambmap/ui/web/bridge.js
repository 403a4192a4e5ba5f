/* Connects the map page (window.ambmap, see ambmap/render/ambmap.js) to the Qt view through QWebChannel. */
(function () {
  "use strict";
  new QWebChannel(qt.webChannelTransport, function (channel) {
    var bridge = channel.objects.ambmapBridge;
    (function connect() {
      if (window.ambmap && window.ambmap.connect) { window.ambmap.connect(bridge); } else { setTimeout(connect, 10); }
    }());
  });
}());
