/* ambmap: registry of every drawn layer and feature, and the events the desktop app listens to.
 *
 * window.ambmap.layers[kind]        the Leaflet group of a layer kind
 * window.ambmap.features[kind][id]  the Leaflet layer of one feature (none for the basemap kinds: one canvas
 *                                   layer draws all their features, see BaseCanvas)
 * Calls: setVisible(kind, bool), filterCategories([categories] | null), restyle(kind, style), highlight(kind, id),
 *        setEditMode(bool), count(kind), counts(), visibleKinds(), view() -> [lat, lon, zoom],
 *        declutter() (re-places the area names so that none overlaps another; done on every zoom),
 *        kept(cluster) (the markers a cluster holds that the category filter keeps)
 * fillMs: ms since navigation when ambmap.js ran (loaded), each kind's fill time (about 0 for a kind off at
 *         start: built when first shown or read), finish's start and end (for benchmarks/bench_map.py)
 * Events: mapReady, featureClicked(kind, id), mapClicked(lat, lon), featureMoved(kind, id, lat, lon),
 *         deleteRequested(kind, id), viewChanged(lat, lon, zoom), cursorMoved(lat, lon), layerToggled(kind, on)
 * Events go to ambmap.bridge (a QWebChannel object set by the Qt view); they are queued until it connects,
 * so the same page also works in a plain browser (exported HTML) where no bridge ever comes.
 *
 * Everything drawn comes from the JSON block #ambmap-data ({layers: {kind: spec}, config}); the page's
 * script only passes Leaflet objects. In it, tooltips (t), popups (p), icons and the legend are HTML whose
 * data was escaped by ambmap/render/map.py; titles, credits, basemap names and the banner are plain text,
 * escaped here (text()) wherever Leaflet writes them with innerHTML.
 */
window.ambmap = (function () {
  "use strict";
  var A = {map: null, layers: {}, features: {}, specs: {}, names: {}, editMode: false, selected: null,
           ready: false, bridge: null, queue: [], highlighted: null, categories: null, data: null, fillMs: {loaded: Math.round(performance.now())}};

  /** Whether the user may move and delete the features of ``kind`` (its spec says so: the layer-kind
   *  registry's ``editable`` point kinds). */
  function editable(kind) { return !!(A.specs[kind] && A.specs[kind].editable); }

  function data() {
    if (!A.data) { A.data = JSON.parse(document.getElementById("ambmap-data").textContent); }
    return A.data;
  }

  /** Plain text as HTML (for the Leaflet controls that write names with innerHTML). */
  function text(value) {
    var div = document.createElement("div");
    div.textContent = value === null || value === undefined ? "" : String(value);
    return div.innerHTML;
  }

  A.emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (A.bridge) { A.bridge[name].apply(A.bridge, args); return; }
    A.queue.push([name, args]);
    if (A.queue.length > 100) {  // a page with no app (exported HTML) keeps only the latest events
      A.queue.splice(A.queue[0][0] === "mapReady" ? 1 : 0, 1);
    }
  };

  A.connect = function (bridge) {
    A.bridge = bridge;
    A.queue.splice(0).forEach(function (item) { bridge[item[0]].apply(bridge, item[1]); });
  };

  function icon(spec, key) {
    var ic = spec.icons[key] || spec.icons[""];
    return L.divIcon({className: "amb-icon", html: ic.html, iconSize: ic.size,
                      iconAnchor: [ic.size[0] / 2, ic.size[1] / 2], tooltipAnchor: [ic.size[0] / 2, 0]});
  }

  function onFeatureClick(kind, id, isPoint) {
    return function (e) {
      L.DomEvent.stopPropagation(e);
      if (A.editMode && !isPoint) {  // in edit mode an area is just map: a new point inside a QPV
        A.emit("mapClicked", e.latlng.lat, e.latlng.lng);
        return;
      }
      A.selected = {kind: kind, id: id};
      A.emit("featureClicked", kind, id);
    };
  }

  function pathStyle(kind, spec, f) {
    return L.extend({className: "amb-path amb-" + kind}, spec.styles[f.k] || spec.styles[""]);
  }

  /** A QPV name: a permanent tooltip whose size is read once, for all the names put on the map together
   *  (placeLabels), where Leaflet read each one's size as it placed it — a layout of the page per name
   *  (300 names: a quarter of a second, and again at every zoom). Placed below its point ("bottom"). */
  var pendingLabels = [];
  var Label = L.Tooltip.extend({
    _updateContent: function () {
      this.ambSize = null;  // new text, new size
      L.Tooltip.prototype._updateContent.call(this);
    },
    _setPosition: function (pos) {
      this.ambPos = pos;
      if (this.ambSize) { placeLabel(this); return; }
      if (pendingLabels.push(this) === 1) { Promise.resolve().then(placeLabels); }
    }
  });

  function placeLabel(label) {
    var box = label._container, size = label.ambSize;
    L.DomUtil.addClass(box, "leaflet-tooltip-bottom");
    L.DomUtil.setPosition(box, label.ambPos.subtract(L.point(size[0] / 2, 0, true))
      .add(L.point(label.options.offset)).add(label._getAnchor()));
  }

  /** Every name waiting for its size: all read (one layout), then all placed. */
  function placeLabels() {
    var waiting = pendingLabels.splice(0).filter(function (label) { return label._container && label._map; });
    waiting.forEach(function (label) { label.ambSize = [label._container.offsetWidth, label._container.offsetHeight]; });
    waiting.forEach(placeLabel);
  }

  /** A feature's tooltip: a QPV's name as a permanent label, or on hover its name in bold with its class
   *  words (w; a point's: the spec's kw by class); any other feature's tooltip (t) on hover. */
  function bindTip(layer, spec, f) {
    if (!f.t) { return; }
    if (spec.labels) {  // names sit just below the centre, which is often where a pôle stands
      layer.bindTooltip(new Label({permanent: true, direction: "bottom", offset: [0, 16], className: "amb-label",
                                   pane: "ambLabels"}, layer).setContent(f.t));
      return;
    }
    var w = f.w !== undefined ? f.w : spec.kw && spec.kw[f.k];  // a QPV's class, a point's class
    var tip = w === undefined ? f.t : "<b>" + f.t + "</b>" + (w ? "<br>" + w : "");
    layer.bindTooltip(tip, {sticky: !f.ll, direction: "top"});
  }

  /** A popup's HTML from its data (render/map.py _popup): the title (else the feature's name), then one
   *  row per non-empty value under the spec's labels (pl), a number being an index into its column's table
   *  (pc, render/map.py _coded); every part was escaped in Python. */
  function popupHtml(spec, f) {
    var p = f.p, rows = "";
    for (var i = 1; i < p.length; i++) {
      var v = typeof p[i] === "number" ? spec.pc[i - 1][p[i]] : p[i];
      if (v) { rows += "<tr><th>" + spec.pl[i - 1] + "</th><td>" + v + "</td></tr>"; }
    }
    return '<div class="amb-popup"><h3>' + (p[0] || f.t) + "</h3><table>" + rows + "</table></div>";
  }

  /** Build the features of one kind into ``group`` (a FeatureGroup or a MarkerClusterGroup) of ``map``. */
  A.fill = function (kind, group, map) {
    var start = performance.now();
    fill(kind, group, map);
    A.fillMs[kind] = Math.round(performance.now() - start);  // for benchmarks
  };

  function fill(kind, group, map) {
    var spec = data().layers[kind], registry = null;
    start(map);
    A.layers[kind] = group;
    A.specs[kind] = spec;
    A.names[kind] = spec.title;
    if (spec.basemap) { return fillBasemap(kind, spec, group, map); }
    if (spec.shown !== false) { A.features[kind] = registry = {}; return build(kind, spec, group, registry); }
    // a layer off at start (the population squares, resources over a coverage map) is built the first time
    // it is shown or anything reads its features: thousands of features not made before the map is ready
    var made = function () {
      if (!registry) { registry = {}; build(kind, spec, group, registry); }
      return registry;
    };
    Object.defineProperty(A.features, kind, {get: made, enumerable: true, configurable: true});
    group.on("add", made);
  }

  function build(kind, spec, group, registry) {
    var built = [], canvas = spec.canvas ? L.canvas({padding: 0.2}) : null;  // many areas: one canvas
    var icons = {};  // one icon object per class: Leaflet makes each marker's element from it
    spec.features.forEach(function (f) {
      var layer, id = String(f.id);
      if (f.ll) {
        var ic = icons[f.k] = icons[f.k] || icon(spec, f.k);
        layer = L.marker(f.ll, {icon: ic, keyboard: false, riseOnHover: true, zIndexOffset: spec.z,
                                opacity: spec.opacity, draggable: A.editMode && !!spec.editable});
        layer.on("dragend", function (e) {
          var p = e.target.getLatLng();
          A.emit("featureMoved", kind, id, p.lat, p.lng);
        });
      } else {  // packed polygons (render/map.py pack): thousands of squares stay light
        var style = pathStyle(kind, spec, f);
        layer = L.polygon(f.m.map(function (poly) { return poly.map(unpack); }),
                          L.extend({interactive: spec.interactive !== false, renderer: canvas || undefined}, style));
        layer.ambStyle = style;
      }
      layer.ambmap = {kind: kind, id: id, key: f.k};
      bindTip(layer, spec, f);
      if (f.p) { layer.bindPopup(popupHtml(spec, f), {maxWidth: 340}); }
      if (spec.interactive !== false) { layer.on("click", onFeatureClick(kind, id, !!f.ll)); }
      registry[id] = layer;
      built.push(layer);
    });
    if (group._featureGroup) { filterable(group); }
    if (group._needsClustering && !group._map) {
      // a cluster group off the map queues what it is given for its onAdd, but its addLayers first looks
      // for each marker among all those queued before it (20,000 resources: 0.3 s); these are new
      group._needsClustering = group._needsClustering.concat(built);
    } else if (group.addLayers) { group.addLayers(built); } else { built.forEach(function (l) { group.addLayer(l); }); }
  }

  var SIGNS = new Int8Array(128);
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("").forEach(function (c, i) {
    SIGNS[c.charCodeAt(0)] = i;
  });

  /** Calls ``each(lat, lon)`` for every point of a packed part (render/map.py _encoded_parts: integers of
   *  1e-5 degrees, the first point whole then steps, each zigzag-signed in 5-bit groups, low first, one
   *  base64 sign each, +32 while more groups follow). */
  function decode(s, each) {
    var v = 0, shift = 0, lat = 0, lon = 0, odd = false;
    for (var i = 0; i < s.length; i++) {
      var d = SIGNS[s.charCodeAt(i)];
      v |= (d & 31) << shift;
      if (d >= 32) { shift += 5; continue; }
      v = (v >>> 1) ^ -(v & 1);
      if (odd) { lon += v; each(lat / 1e5, lon / 1e5); } else { lat += v; }
      odd = !odd;
      v = 0;
      shift = 0;
    }
  }

  /** A packed part as latlngs (for Leaflet's own polygons). */
  function unpack(s) {
    var out = [];
    decode(s, function (lat, lon) { out.push([lat, lon]); });
    return out;
  }

  /** A packed part as Web Mercator coordinates of a world 1 wide ([x, y, x, y…], Leaflet's EPSG:3857
   *  before its zoom scale), with its bounding box grown into ``box``. */
  function mercator(s, box) {
    var out = [];
    decode(s, function (lat, lon) {
      var x = lon / 360 + 0.5, sin = Math.sin(Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI / 180);
      var y = 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
      out.push(x, y);
      if (x < box[0]) { box[0] = x; }
      if (y < box[1]) { box[1] = y; }
      if (x > box[2]) { box[2] = x; }
      if (y > box[3]) { box[3] = y; }
    });
    return new Float64Array(out);
  }

  /** A basemap kind's features by class, in the reverse of the spec's class order (minor streets first, main ones over
   *  them): each {parts: [mercator rings or lines], box, name}. */
  function baseShapes(spec) {
    var classes = {}, order = Object.keys(spec.styles).filter(function (k) { return k; }).reverse();
    spec.features.forEach(function (f) {
      var box = [Infinity, Infinity, -Infinity, -Infinity], parts = [];
      f.m.forEach(function (part) {
        if (spec.basemap === "areas") {
          part.forEach(function (ring) { parts.push(mercator(ring, box)); });
        } else { parts.push(mercator(part, box)); }
      });
      var k = spec.styles[f.k] ? f.k : "";
      (classes[k] = classes[k] || []).push({parts: parts, box: box, name: f.n});
      if (order.indexOf(k) < 0) { order.push(k); }
    });
    return order.filter(function (k) { return classes[k]; }).map(function (k) {
      return {style: spec.styles[k], shapes: classes[k]};
    });
  }

  /** Draws a basemap kind on one canvas: ONE path per class (an even-odd fill for areas, a stroke), points
   *  projected from precomputed Mercator coordinates, features outside the canvas and steps under half a
   *  pixel skipped. Below the spec's fullZoom, lines under 2 px are drawn 1 px wide: a hairline, which
   *  Chromium's software canvas draws about ten times faster than a wide stroke (9,000 Lille streets:
   *  ~60 ms instead of ~600), and lighter at city scale. Leaflet's canvas renderer keeps its container,
   *  pane, padding, zoom animation and redraw timing; ten thousand streets made as one polyline each took
   *  most of the page's start. */
  var BaseCanvas = L.Canvas.extend({
    initialize: function (classes, spec, options) {
      L.Canvas.prototype.initialize.call(this, options);
      this.ambClasses = classes;
      this.ambSpec = spec;
    },
    _draw: function () {
      var map = this._map, ctx = this._ctx, b = this._bounds;
      if (!map || !b) { return; }
      var zoom = map.getZoom(), s = map.options.crs.scale(zoom), o = map.getPixelOrigin();
      var thin = zoom < this.ambSpec.fullZoom;
      var view = [(b.min.x + o.x) / s, (b.min.y + o.y) / s, (b.max.x + o.x) / s, (b.max.y + o.y) / s];
      ctx.save();
      this.ambClasses.forEach(function (cls) {
        var st = cls.style, area = !!(st.fill !== false && st.fillColor);
        ctx.beginPath();
        cls.shapes.forEach(function (shape) {
          var box = shape.box;
          if (box[2] < view[0] || box[0] > view[2] || box[3] < view[1] || box[1] > view[3]) { return; }
          shape.parts.forEach(function (p) {
            var lx = p[0] * s - o.x, ly = p[1] * s - o.y;
            ctx.moveTo(lx, ly);
            for (var i = 2; i < p.length; i += 2) {
              var x = p[i] * s - o.x, y = p[i + 1] * s - o.y;
              if (i + 2 < p.length && Math.abs(x - lx) < 0.5 && Math.abs(y - ly) < 0.5) { continue; }
              ctx.lineTo(x, y);
              lx = x;
              ly = y;
            }
            if (area) { ctx.closePath(); }
          });
        });
        if (area) {
          ctx.globalAlpha = st.fillOpacity === undefined ? 0.2 : st.fillOpacity;
          ctx.fillStyle = st.fillColor;
          ctx.fill("evenodd");
        }
        if (st.stroke !== false && (st.weight === undefined || st.weight > 0)) {
          var width = st.weight === undefined ? 3 : st.weight;
          ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity;
          ctx.lineWidth = thin && width < 2 ? 1 : width;
          ctx.strokeStyle = st.color || "#3388ff";
          ctx.lineCap = st.lineCap || "round";
          ctx.lineJoin = st.lineJoin || "round";
          ctx.setLineDash(st.dashArray ? st.dashArray.split(/[ ,]+/).map(Number) : []);
          ctx.stroke();
        }
      });
      ctx.restore();
    }
  });

  /** The basemap layers (streets, railways, water, parks): one canvas each (BaseCanvas), in its own pane
   *  under every other layer (drawn in registry order, whatever order they are ticked in), not clickable;
   *  their credit shows while they are on the map; street names are written along the streets at street
   *  zoom. */
  function fillBasemap(kind, spec, group, map) {
    var pane = "ambBase-" + kind;
    A.features[kind] = {};  // no Leaflet layer per feature: count() reads the spec
    A.basePanes = (A.basePanes || 0) + 1;
    map.createPane(pane).style.zIndex = 200 + A.basePanes;  // above the tiles (200), under the overlays (400)
    var classes = baseShapes(spec);
    group.addLayer(new BaseCanvas(classes, spec, {padding: 0.2, pane: pane}));
    if (spec.attribution) {
      group.getAttribution = function () { return text(spec.attribution); };
      if (map.hasLayer(group) && map.attributionControl) {
        map.attributionControl.addAttribution(group.getAttribution());
        group.once("remove", function () { map.attributionControl.removeAttribution(group.getAttribution()); });
      }
    }
    if (spec.features.some(function (f) { return f.n; })) {
      var labels = L.layerGroup(), named = [];
      classes.forEach(function (cls) {
        cls.shapes.forEach(function (shape) { if (shape.name) { named.push(shape); } });
      });
      A.streetNames = A.streetNames || {};
      A.streetNames[kind] = labels;
      labels.ambNamed = named;
      map.on("moveend zoomend overlayadd overlayremove", function () { streetNames(kind, labels); });
    }
  }

  /** Street names along their longest visible segment, once per name, where the screen has room for them
   *  (a coarse grid of occupied cells), from the spec's labelZoom on; nothing is computed below it. */
  function streetNames(kind, labels) {
    var map = A.map, spec = A.specs[kind];
    labels.clearLayers();
    if (!map.hasLayer(A.layers[kind]) || map.getZoom() < spec.labelZoom) { map.removeLayer(labels); return; }
    if (!map.hasLayer(labels)) {
      if (!map.getPane("ambStreetNames")) { map.createPane("ambStreetNames").style.zIndex = 450; }
      labels.addTo(map);
    }
    var size = map.getSize(), s = map.options.crs.scale(map.getZoom()), o = map.getPixelOrigin();
    var c0 = map.containerPointToLayerPoint([0, 0]);  // container point = world pixel - origin - c0
    var dx = -o.x - c0.x, dy = -o.y - c0.y;
    var view = [-dx / s, -dy / s, (size.x - dx) / s, (size.y - dy) / s];
    var seen = {}, cells = {}, shown = 0;
    labels.ambNamed.forEach(function (shape) {
      var name = shape.name, box = shape.box;
      if (seen[name] || shown >= 300 || box[2] < view[0] || box[0] > view[2] || box[3] < view[1] || box[1] > view[3]) {
        return;
      }
      var best = null;
      shape.parts.forEach(function (p) {
        for (var i = 2; i < p.length; i += 2) {
          var a = L.point(p[i - 2] * s + dx, p[i - 1] * s + dy), b = L.point(p[i] * s + dx, p[i + 1] * s + dy);
          var mid = a.add(b).divideBy(2), length = a.distanceTo(b);
          if ((!best || length > best.length) && mid.x >= 0 && mid.y >= 0 && mid.x <= size.x && mid.y <= size.y) {
            best = {length: length, a: a, b: b};
          }
        }
      });
      if (!best || best.length < name.length * 6) { return; }
      var mid = best.a.add(best.b).divideBy(2);
      var cell = Math.floor(mid.x / 110) + ":" + Math.floor(mid.y / 28);
      if (cells[cell]) { return; }
      var angle = Math.atan2(best.b.y - best.a.y, best.b.x - best.a.x) * 180 / Math.PI;
      if (angle > 90) { angle -= 180; } else if (angle < -90) { angle += 180; }
      var html = '<span style="position:absolute;white-space:nowrap;font:11px/1 sans-serif;color:#4d4d4d;' +
                 "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff;transform:translate(-50%,-50%) rotate(" +
                 angle.toFixed(1) + 'deg)">' + text(name) + "</span>";
      L.marker(map.containerPointToLatLng(mid), {icon: L.divIcon({className: "amb-street-name", html: html,
                                                                   iconSize: [0, 0]}),
                                                 interactive: false, keyboard: false, pane: "ambStreetNames"})
        .addTo(labels);
      cells[cell] = true;
      seen[name] = true;
      shown += 1;
    });
  }

  /** Show or hide a whole layer kind; returns whether it is now on the map. */
  A.setVisible = function (kind, visible) {
    var group = A.layers[kind];
    if (!group) { return false; }
    if (visible) { A.map.addLayer(group); } else { A.map.removeLayer(group); }
    if (A.streetNames && A.streetNames[kind]) { streetNames(kind, A.streetNames[kind]); }
    updateLegend();
    A.declutter();
    return A.map.hasLayer(group);
  };

  function overlaps(b, boxes) {
    return boxes.some(function (p) {
      return !(b.right < p.left || b.left > p.right || b.bottom < p.top || b.top > p.bottom);
    });
  }

  /** Labels kept from colliding at the current zoom: the most populated QPV's name first, below its centre,
   *  else above it, right or left of it; a name that overlaps one already placed (or a recommended site's
   *  number) everywhere is hidden until zooming in. Returns how many labels are shown. */
  A.declutter = function () {
    if (!A.map) { return 0; }
    placeLabels();  // the names put on the map in this script are placed before they are measured here
    var labels = [], placed = [], shown = 0;
    Object.keys(A.features.recommendation || {}).forEach(function (id) {
      var el = A.features.recommendation[id].getElement && A.features.recommendation[id].getElement();
      if (el && A.map.hasLayer(A.layers.recommendation)) { placed.push(el.getBoundingClientRect()); }
    });
    Object.keys(A.specs).forEach(function (kind) {
      var spec = A.specs[kind];
      if (!spec.labels) { return; }
      spec.features.forEach(function (f) {
        var tip = A.features[kind][String(f.id)].getTooltip();
        var el = tip && tip.getElement && tip.getElement();
        if (el) { labels.push({el: el, r: f.r || 0}); }
      });
    });
    labels.sort(function (a, b) { return b.r - a.r; });
    // every write, then every read, then every write: one layout for 300 names, not one per name
    labels.forEach(function (item) {
      item.el.style.visibility = "";
      item.el.style.marginLeft = item.el.style.marginTop = "0px";
    });
    labels.forEach(function (item) { item.box = item.el.getBoundingClientRect(); });
    labels.forEach(function (item) {
      var box = item.box;
      item.move = [0, 0];
      if (!box.width) { return; }  // its layer is off the map
      var w = box.width, h = box.height;
      var moves = [[0, 0], [0, -(h + 34)], [w / 2 + 20, -(h / 2 + 17)], [-(w / 2 + 20), -(h / 2 + 17)]];
      for (var i = 0; i < moves.length; i++) {
        var moved = {left: box.left + moves[i][0], right: box.right + moves[i][0],
                     top: box.top + moves[i][1], bottom: box.bottom + moves[i][1]};
        if (!overlaps(moved, placed)) {
          item.move = moves[i];
          placed.push(moved);
          shown += 1;
          return;
        }
      }
      item.move = null;
    });
    labels.forEach(function (item) {
      if (!item.move) { item.el.style.visibility = "hidden"; return; }
      if (item.move[0] || item.move[1]) {
        item.el.style.marginLeft = item.move[0] + "px";
        item.el.style.marginTop = item.move[1] + "px";
      }
    });
    return shown;
  };

  A.visibleKinds = function () {
    return Object.keys(A.layers).filter(function (k) { return A.map.hasLayer(A.layers[k]); });
  };

  /** Keep only the health resources whose category is listed (null: all); returns how many are shown.
   *  Markers are flagged (ambmap.out); a plain group takes them out and back. A cluster group is filtered
   *  inside, with no re-clustering (20,000 resources took 0.3 s to re-cluster, 1.5 s one by one): every
   *  cluster counts its kept markers (ambKept, shown in its icon), and what the group puts on the map is
   *  screened (filterable). Clusters stay where all the markers put them. Off the map, applied when
   *  the group is shown again. */
  A.filterCategories = function (categories) {
    var group = A.layers.resources, registry = A.features.resources, shown = 0;
    A.categories = categories;
    if (!group) { return 0; }
    Object.keys(registry).forEach(function (id) {
      var m = registry[id];
      m.ambmap.out = !!categories && categories.indexOf(m.ambmap.key) < 0;
      if (!m.ambmap.out) { shown += 1; }
    });
    if (!group._featureGroup) {  // a plain feature group: the markers that change go out or back
      Object.keys(registry).forEach(function (id) {
        var m = registry[id];
        if (m.ambmap.out && group.hasLayer(m)) { group.removeLayer(m); }
        if (!m.ambmap.out && !group.hasLayer(m)) { group.addLayer(m); }
      });
    } else {
      group.ambFiltered = true;
      if (A.map.hasLayer(group)) { refilter(group); }
    }
    syncCategoryBoxes();
    return shown;
  };

  /** The legend's tick boxes of the resource categories (render/map.py _category_box), in a page with no
   *  app: the window filters the categories in its layer panel, the boxes would not be written back. */
  function categoryBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".amb-legend input.amb-cat"));
  }

  function syncCategoryBoxes() {
    categoryBoxes().forEach(function (box) { box.checked = !A.categories || A.categories.indexOf(box.value) >= 0; });
  }

  function bindCategoryBoxes(legend) {
    var boxes = categoryBoxes(), standalone = !(window.qt && window.qt.webChannelTransport);
    if (!boxes.length || !standalone) { return; }
    L.DomUtil.addClass(legend, "amb-with-filter");
    boxes.forEach(function (box) {
      L.DomEvent.on(box, "change", function () {
        var ticked = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
        A.filterCategories(ticked.length === boxes.length ? null : ticked);
      });
    });
  }

  /** How many kept markers a cluster holds (its icon's count). */
  A.kept = function (cluster) { return cluster.ambKept === undefined ? cluster.getChildCount() : cluster.ambKept; };

  function countKept(cluster) {
    var n = 0, i;
    for (i = 0; i < cluster._markers.length; i++) { if (!cluster._markers[i].ambmap.out) { n += 1; } }
    for (i = 0; i < cluster._childClusters.length; i++) { n += countKept(cluster._childClusters[i]); }
    if (cluster.ambKept !== n) { cluster._iconNeedsUpdate = true; }
    cluster.ambKept = n;
    return n;
  }

  /** Recount the clusters and put back on the map what the current view shows of the kept markers. */
  function refilter(group) {
    if (!group._topClusterLevel || !group._map) { return; }
    countKept(group._topClusterLevel);
    group._featureGroup.eachLayer(function (l) { l.ambStandInOf = null; });
    group._featureGroup.clearLayers();
    group._topClusterLevel._recursivelyAddChildrenToMap(null, group._zoom, group._currentShownBounds);
  }

  /** The one marker a cluster holds that is kept. */
  function keptMarker(cluster) {
    for (var i = 0; i < cluster._markers.length; i++) { if (!cluster._markers[i].ambmap.out) { return cluster._markers[i]; } }
    for (i = 0; i < cluster._childClusters.length; i++) {
      if (A.kept(cluster._childClusters[i])) { return keptMarker(cluster._childClusters[i]); }
    }
    return null;
  }

  /** Screen what a cluster group puts on the map (its inner feature group): no marker filtered out, no
   *  cluster with nothing kept, and a cluster with one kept marker shown as that marker (its stand-in,
   *  taken away with the cluster unless the marker was since put on the map for itself, and kept while
   *  it stands in, as when the cluster group zooms out and takes the markers of the finer level away). */
  function filterable(group) {
    var fg = group._featureGroup, add = fg.addLayer, remove = fg.removeLayer;
    fg.addLayer = function (layer) {
      if (layer instanceof L.MarkerCluster) {
        var n = A.kept(layer);
        if (n === 0) { return this; }
        if (n === 1) {
          var m = keptMarker(layer);
          layer.ambStandIn = m;
          m.ambStandInOf = layer;
          return add.call(this, m);
        }
        return add.call(this, layer);
      }
      if (layer.ambmap && layer.ambmap.out) { return this; }
      layer.ambStandInOf = null;
      return add.call(this, layer);
    };
    fg.removeLayer = function (layer) {
      var m = layer.ambStandIn;
      if (m) {
        delete layer.ambStandIn;
        if (m.ambStandInOf === layer) { m.ambStandInOf = null; remove.call(this, m); }
      }
      if (this._map && layer.ambStandInOf && layer.ambStandInOf.ambStandIn === layer) { return this; }  // now its cluster's
      return remove.call(this, layer);
    };
    group.on("add", function () { if (group.ambFiltered) { refilter(group); } });
  }

  /** Number of features of ``kind`` held in its group (markers inside clusters included, those filtered
   *  out by category not). */
  A.count = function (kind) {
    var registry = A.features[kind];
    if (!A.layers[kind]) { return -1; }
    if (A.specs[kind].basemap) { return A.specs[kind].features.length; }
    return Object.keys(registry).filter(function (id) { return !registry[id].ambmap.out; }).length;
  };

  A.counts = function () {
    var out = {};
    Object.keys(A.layers).forEach(function (k) { out[k] = A.count(k); });
    return out;
  };

  /** Apply a layer's new look without a new page: ``style`` is render/map.py page_style (path styles by
   *  class, or icons and opacity, and whether the QPV names are written), resolved from the symbology in
   *  Python. The legend's keys follow. Returns false for a kind the page cannot restyle. */
  A.restyle = function (kind, style) {
    var spec = A.specs[kind], registry = A.features[kind];
    if (!spec || spec.basemap || !style) { return false; }
    var relabel = style.labels !== undefined && !!style.labels !== !!spec.labels;
    if (style.styles) { spec.styles = style.styles; }
    if (style.icons) { spec.icons = style.icons; }
    if (style.opacity !== undefined) { spec.opacity = style.opacity; }
    if (style.labels !== undefined) { spec.labels = !!style.labels; }
    spec.features.forEach(function (f) {
      var layer = registry[String(f.id)];
      if (!layer) { return; }
      if (f.ll) {
        if (style.icons) { layer.setIcon(icon(spec, f.k)); }
        if (style.opacity !== undefined) { layer.setOpacity(spec.opacity); }
      } else if (style.styles) {
        layer.ambStyle = pathStyle(kind, spec, f);
        if (!layer.ambHighlight) { layer.setStyle(layer.ambStyle); }
      }
      if (relabel) { layer.unbindTooltip(); bindTip(layer, spec, f); }
    });
    restyleLegend(kind, spec);
    if (relabel) { A.declutter(); }
    return true;
  };

  /** The legend rows of ``kind`` (one per class, data-class) redrawn from its spec, as render/map.py _legend. */
  function restyleLegend(kind, spec) {
    var box = document.querySelector('.amb-legend-kind[data-kind="' + kind + '"]');
    if (!box) { return; }
    Array.prototype.forEach.call(box.querySelectorAll(".row"), function (row) {
      var c = row.getAttribute("data-class") || "", swatch = row.querySelector(".swatch");
      var key = row.querySelector(".key:not(.amb-cluster-key)"), st = spec.styles && spec.styles[c];
      if (swatch && st) {
        var fill = st.fill === false ? "transparent" : (st.fillColor || "transparent");
        swatch.style.background = fill;
        swatch.style.borderColor = st.stroke === false ? fill : (st.color || fill);
      }
      if (key && spec.icons && spec.icons[c]) { key.innerHTML = spec.icons[c].html; }
    });
  }

  function unhighlight() {
    var h = A.highlighted;
    if (!h) { return; }
    if (h.setStyle && h.ambStyle) { h.setStyle(h.ambStyle); }
    if (h.getElement && h.getElement()) { L.DomUtil.removeClass(h.getElement(), "amb-highlight"); }
    h.ambHighlight = false;
    A.highlighted = null;
  }

  /** Emphasise one feature, open its tooltip and centre the map on it; false if it is unknown. */
  A.highlight = function (kind, id) {
    var layer = (A.features[kind] || {})[String(id)], group = A.layers[kind];
    unhighlight();
    if (!layer || layer.ambmap.out) { return false; }  // unknown, or filtered out by category
    A.highlighted = layer;
    A.selected = {kind: kind, id: String(id)};
    layer.ambHighlight = true;
    if (!A.map.hasLayer(group)) { A.setVisible(kind, true); }  // the layer control then tells the app
    if (layer.getLatLng) {
      var show = function () {
        if (layer.getElement()) { L.DomUtil.addClass(layer.getElement(), "amb-highlight"); }
        if (!A.specs[kind].labels) { layer.openTooltip(); }
        A.map.panTo(layer.getLatLng());
      };
      if (A.layers[kind].zoomToShowLayer) { A.layers[kind].zoomToShowLayer(layer, show); } else { show(); }
    } else {
      layer.setStyle({color: "#ffd600", weight: 5, opacity: 1});
      layer.bringToFront();
      if (!A.specs[kind].labels) { layer.openTooltip(layer.getBounds().getCenter()); }
      A.map.panTo(layer.getBounds().getCenter());
    }
    return true;
  };

  /** In edit mode points can be dragged, a map click proposes a new point and Delete removes the selection. */
  A.setEditMode = function (on) {
    A.editMode = !!on;
    Object.keys(A.specs).filter(editable).forEach(function (kind) {
      var registry = A.features[kind] || {};
      Object.keys(registry).forEach(function (id) {
        var m = registry[id];
        m.options.draggable = A.editMode;
        if (m.dragging) { if (A.editMode) { m.dragging.enable(); } else { m.dragging.disable(); } }
      });
    });
    var box = A.map.getContainer();
    if (A.editMode) { L.DomUtil.addClass(box, "amb-edit"); } else { L.DomUtil.removeClass(box, "amb-edit"); }
    return A.editMode;
  };

  A.view = function () {
    var c = A.map.getCenter();
    return [c.lat, c.lng, A.map.getZoom()];
  };

  /** The legend only describes the layers on the map. */
  function updateLegend() {
    var items = document.querySelectorAll(".amb-legend-kind"), specs = data().layers;
    Array.prototype.forEach.call(items, function (item) {
      var kind = item.getAttribute("data-kind"), group = A.layers[kind];
      var on = group ? A.map.hasLayer(group) : !!specs[kind] && specs[kind].shown !== false;  // before its fill
      item.style.display = on ? "" : "none";
    });
  }

  function control(position, className, html) {
    var c = L.control({position: position});
    c.onAdd = function () {
      var div = L.DomUtil.create("div", className);
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    return c.addTo(A.map);
  }

  /** Basemaps (the first one shown) and the layer control over them and every filled kind (unless
   *  withControl is false: the window's layer panel is the list there). */
  function layerControl(map, basemaps, withControl) {
    var lc = L.control.layers({}, {}, {position: "topright", collapsed: true, autoZIndex: true});
    basemaps.forEach(function (b, i) {
      var tiles = L.tileLayer(b.url, {minZoom: 0, maxZoom: b.maxZoom, maxNativeZoom: b.maxNativeZoom,
                                      attribution: text(b.attribution)});
      if (i === 0 && b.show !== false) { tiles.addTo(map); }  // « streets »: tiles offered, not shown
      lc.addBaseLayer(tiles, text(b.name));
    });
    if (!withControl) { return null; }
    Object.keys(A.layers).forEach(function (kind) { lc.addOverlay(A.layers[kind], text(A.names[kind])); });
    return lc.addTo(map);
  }

  /** Before the first layer: the legend (listing the layers that will be shown) and the view, so that
   *  every layer is drawn once, at its final zoom (fitting the territory after them drew the markers,
   *  squares and names of a big map twice: about a second of its start). */
  function start(map) {
    if (A.map) { return; }
    var cfg = data().config;
    A.map = map;
    // area names above the point markers (600), below the hover tooltips (650): a pôle never hides a QPV name
    map.createPane("ambLabels").style.zIndex = 640;
    var legend = A.legend = cfg.legend ? control("bottomright", "amb-legend leaflet-control", cfg.legend) : null;
    if (legend && map.getSize().y < 560) { legend.getContainer().querySelector("details").open = false; }
    updateLegend();
    if (cfg.fit) {  // the territory, clear of the legend; folded if it would make the territory smaller
      var right = function () { return legend ? legend.getContainer().offsetWidth + 20 : 10; };
      if (legend && map.getBoundsZoom(cfg.fit, false, L.point(10 + right(), 20)) <
                    map.getBoundsZoom(cfg.fit, false, L.point(30, 20))) {
        legend.getContainer().querySelector("details").open = false;
      }
      map.fitBounds(cfg.fit, {paddingTopLeft: [10, 10], paddingBottomRight: [right(), 10], animate: false});
    }
  }

  /** Called once every layer is filled: basemaps, layer control, banner, attributions, events; then
   *  signals readiness. */
  A.finish = function (map) {
    A.fillMs.finishStart = Math.round(performance.now());
    var cfg = data().config;
    start(map);
    layerControl(map, cfg.basemaps || [], cfg.layerControl !== false);
    map.attributionControl.setPrefix("Leaflet");
    (cfg.attributions || []).forEach(function (a) { map.attributionControl.addAttribution(text(a)); });
    L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
    if (A.legend) { bindCategoryBoxes(A.legend.getContainer()); }
    updateLegend();
    if (cfg.banner) { control("topright", "amb-banner leaflet-control", text(cfg.banner)); }
    map.on("click", function (e) {
      A.selected = null;
      unhighlight();
      if (A.editMode) { A.emit("mapClicked", e.latlng.lat, e.latlng.lng); }
    });
    map.on("moveend", function () { var v = A.view(); A.emit("viewChanged", v[0], v[1], v[2]); });
    var last = 0;
    map.on("mousemove", function (e) {
      var now = Date.now();
      if (now - last > 40) { last = now; A.emit("cursorMoved", e.latlng.lat, e.latlng.lng); }
    });
    map.on("zoomend", A.declutter);
    map.on("overlayadd overlayremove", function (e) {
      Object.keys(A.layers).forEach(function (k) {
        if (A.layers[k] === e.layer) { A.emit("layerToggled", k, e.type === "overlayadd"); }
      });
      updateLegend();
      A.declutter();
    });
    document.addEventListener("keydown", function (e) {
      if (A.editMode && A.selected && editable(A.selected.kind) && (e.key === "Delete" || e.key === "Backspace")) {
        A.emit("deleteRequested", A.selected.kind, A.selected.id);
      }
    });
    A.declutter();
    // layers the page left off at start (one disc per ambassador; resources over a coverage map): the app's
    // layer list follows
    Object.keys(A.specs).forEach(function (kind) {
      if (A.specs[kind].shown === false) { A.emit("layerToggled", kind, false); }
    });
    A.ready = true;
    A.fillMs.finishEnd = Math.round(performance.now());
    var v = A.view();
    A.emit("viewChanged", v[0], v[1], v[2]);
    A.emit("mapReady");
  };

  return A;
}());
