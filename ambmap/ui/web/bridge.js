/* Connects the map page (window.ambmap, see ambmap/render/ambmap.js) to the Qt view through QWebChannel,
 * and adds what only the desktop app offers: a double-click on an editable point asks for its form, and
 * the « Et si ? » mode (window.ambmapWhatIf) shows what a new ambassador at the pointer would add. */
(function () {
  "use strict";
  var W = window.ambmapWhatIf = {on: false, zone: null, tip: null, bridge: null};

  function map() { return window.ambmap && window.ambmap.map; }

  /** « Et si ? » on or off: the pointer becomes a cross-hair; off removes the last answer. */
  W.set = function (on) {
    W.on = !!on;
    var m = map();
    if (!m) { return W.on; }
    m.getContainer().style.cursor = W.on ? "crosshair" : "";
    if (!W.on) { W.clear(); }
    return W.on;
  };

  W.clear = function () {
    var m = map();
    if (m && W.zone) { m.removeLayer(W.zone); }
    if (m && W.tip) { m.removeLayer(W.tip); }
    W.zone = W.tip = null;
  };

  /** The reach of a site at (lat, lon) (a GeoJSON geometry) and lines of plain text beside it. */
  W.show = function (lat, lon, zone, lines) {
    var m = map();
    if (!m || !W.on) { return false; }
    W.clear();
    W.zone = L.geoJSON(zone, {interactive: false, style: function () {
      return {color: "#6a1b9a", weight: 2, dashArray: "6 4", fillColor: "#ce93d8", fillOpacity: 0.25};
    }}).addTo(m);
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      var p = document.createElement(i === 0 ? "strong" : "div");
      p.textContent = line;  // data text (QPV names): never HTML
      box.appendChild(p);
    });
    W.tip = L.tooltip({permanent: true, direction: "right", offset: [14, 0], className: "amb-whatif",
                       interactive: false}).setLatLng([lat, lon]).setContent(box);
    W.tip.addTo(m);
    return true;
  };

  function whenReady(bridge) {
    var A = window.ambmap;
    if (!A.ready) { setTimeout(function () { whenReady(bridge); }, 20); return; }
    Object.keys(A.features).forEach(function (kind) {
      if (!(A.specs[kind] && A.specs[kind].editable)) { return; }
      Object.keys(A.features[kind]).forEach(function (id) {
        A.features[kind][id].on("dblclick", function (e) {
          L.DomEvent.stopPropagation(e);  // no zoom: the form opens
          bridge.featureDoubleClicked(kind, id);
        });
      });
    });
    A.map.on("click", function (e) { if (W.on) { bridge.whatIfClicked(e.latlng.lat, e.latlng.lng); } });
    W.set(W.on);
  }

  new QWebChannel(qt.webChannelTransport, function (channel) {
    var bridge = channel.objects.ambmapBridge;
    W.bridge = bridge;
    (function connect() {
      if (window.ambmap && window.ambmap.connect) {
        window.ambmap.connect(bridge);
        whenReady(bridge);
      } else { setTimeout(connect, 10); }
    }());
  });
}());
