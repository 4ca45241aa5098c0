/* The dashboard's Map page (dashboard/map_page.py), drawn with the vendored Leaflet.

   The page gives, as data attributes of #map: where the boundaries and the counts come from, the
   Reports list's address, an optional tile server, and the words to say things with. The filters
   are the page's own query string, sent as they are with the request for the counts and pins.
   The kecamatan are coloured by their number of reports; zoomed in, the desa. Colours are CSS
   classes (app.css: .map-area.c0 ... .c5), so nothing here writes a style attribute (the page's
   Content-Security-Policy has no 'unsafe-inline'); names are put in as text, never as HTML. */
(function () {
  "use strict";

  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") {
    return;
  }
  var words = JSON.parse(el.getAttribute("data-words") || "{}");
  var lang = document.documentElement.lang || "id";
  var legend = document.getElementById("map-legend");
  var note = document.getElementById("map-note");
  var CLASSES = 5; // besides "none": the colours .c1 (fewest) to .c5 (most)
  var DESA_ZOOM_STEPS = 2; // zoomed in this far past the whole region, the desa are drawn

  function say(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function number(n) {
    return Number(n).toLocaleString(lang);
  }

  function node(tag, className, text) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (text !== undefined) {
      made.textContent = text;
    }
    return made;
  }

  function link(href, text) {
    var a = node("a", "", text);
    a.href = href;
    return a;
  }

  // The upper bound of each class, for counts 1..most: at most CLASSES classes of equal width.
  function breaks(most) {
    if (most <= 0) {
      return [];
    }
    var count = Math.min(CLASSES, most);
    var step = Math.ceil(most / count);
    var out = [];
    for (var i = 1; i <= count; i++) {
      var upper = Math.min(step * i, most);
      if (!out.length || out[out.length - 1] !== upper) {
        out.push(upper);
      }
    }
    return out;
  }

  // The colour class of a count: c0 for none; the classes spread over c1..c5, the most always c5.
  function colour(n, bounds) {
    if (!n || !bounds.length) {
      return 0;
    }
    var index = 0;
    while (index < bounds.length - 1 && n > bounds[index]) {
      index++;
    }
    if (bounds.length === 1) {
      return CLASSES;
    }
    return 1 + Math.round(index * (CLASSES - 1) / (bounds.length - 1));
  }

  // The Reports list under the page's filters, of one area.
  function reportsOf(area) {
    var params = new URLSearchParams(window.location.search);
    ["kecamatan", "desa", "after"].forEach(function (key) {
      params.delete(key);
    });
    Object.keys(area).forEach(function (key) {
      params.set(key, area[key]);
    });
    return el.getAttribute("data-reports") + "?" + params.toString();
  }

  function areaPopup(props, n, kind) {
    var box = node("div", "map-popup");
    box.appendChild(node("strong", "", props.name));
    if (kind === "desa" && props.kecamatan) {
      box.appendChild(node("div", "", say(words.in_kecamatan, {name: props.kecamatan})));
    }
    box.appendChild(node("div", "", say(words.count, {n: number(n)})));
    if (n) {
      var area = kind === "desa" ? {kecamatan: props.kecamatan_code, desa: props.code} : {kecamatan: props.code};
      box.appendChild(link(reportsOf(area), words.show));
    }
    return box;
  }

  function pinPopup(pin) {
    var box = node("div", "map-popup");
    box.appendChild(node("strong", "", pin.ticket));
    box.appendChild(node("div", "", pin.category));
    var state = node("div", "", pin.state);
    if (pin.overdue) {
      state.appendChild(document.createTextNode(" "));
      state.appendChild(node("span", "badge late", words.overdue));
    }
    box.appendChild(state);
    box.appendChild(link(pin.url, words.open));
    return box;
  }

  function areaLayer(collection, counts, kind) {
    var most = 0;
    collection.features.forEach(function (feature) {
      most = Math.max(most, counts[feature.properties.code] || 0);
    });
    var bounds = breaks(most);
    var layer = L.geoJSON(collection, {
      pane: "areas",
      style: function (feature) {
        var n = counts[feature.properties.code] || 0;
        return {className: "map-area " + kind + " c" + colour(n, bounds), color: "#5b6876",
                weight: kind === "desa" ? 0.6 : 1.2, fillOpacity: 0.8};
      },
      onEachFeature: function (feature, shape) {
        var n = counts[feature.properties.code] || 0;
        shape.bindPopup(function () {
          return areaPopup(feature.properties, n, kind);
        });
      }
    });
    return {layer: layer, bounds: bounds, kind: kind};
  }

  function pinLayer(pins) {
    var group = L.layerGroup();
    pins.forEach(function (pin) {
      L.circleMarker([pin.lat, pin.lon], {
        radius: 6, weight: 2, fillOpacity: 0.95,
        className: "map-pin" + (pin.overdue ? " late" : "")
      }).bindPopup(function () {
        return pinPopup(pin);
      }).addTo(group);
    });
    return group;
  }

  function legendEntry(className, text) {
    var entry = node("li", "");
    entry.appendChild(node("span", "swatch " + className));
    entry.appendChild(document.createTextNode(text));
    return entry;
  }

  function showLegend(level, zoomHint, withPins) {
    legend.textContent = "";
    legend.appendChild(node("strong", "", words[level.kind]));
    var items = [[0, number(0)]];
    var low = 1;
    level.bounds.forEach(function (upper) {
      items.push([upper, low === upper ? number(low) : number(low) + "–" + number(upper)]);
      low = upper + 1;
    });
    var list = node("ul", "");
    items.forEach(function (item) {
      list.appendChild(legendEntry("c" + colour(item[0], level.bounds), item[1]));
    });
    legend.appendChild(list);
    if (withPins) {
      var pins = node("ul", "");
      pins.appendChild(legendEntry("pin", words.pin));
      pins.appendChild(legendEntry("pin late", words.overdue));
      legend.appendChild(pins);
    }
    if (zoomHint) {
      legend.appendChild(node("span", "muted", words.zoom));
    }
  }

  function failed() {
    el.classList.add("failed");
    note.textContent = words.failed;
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}}).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    });
  }

  var map = L.map(el, {zoomSnap: 0.5});
  // The areas lie under the pins (app.css gives the pane its level).
  map.createPane("areas");
  window.laporBasemap(map, el);

  function draw(results) {
    var shapes = results[0];
    var data = results[1];
    if (!shapes.kecamatan || !shapes.bounds) {
      failed();
      return;
    }
    var b = shapes.bounds; // west, south, east, north
    var region = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
    map.fitBounds(region, {padding: [8, 8]});
    map.setMaxBounds(region.pad(1));
    var desaZoom = map.getZoom() + DESA_ZOOM_STEPS;
    var kecamatan = areaLayer(shapes.kecamatan, data.kecamatan || {}, "kecamatan");
    var desa = shapes.desa ? areaLayer(shapes.desa, data.desa || {}, "desa") : null;
    var pins = pinLayer(data.pins || []);
    pins.addTo(map);
    var overlays = {};
    overlays[words.pins] = pins;
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);

    function level() {
      var showDesa = desa !== null && map.getZoom() >= desaZoom;
      var shown = showDesa ? desa : kecamatan;
      var hidden = showDesa ? kecamatan : desa;
      if (hidden && map.hasLayer(hidden.layer)) {
        map.removeLayer(hidden.layer);
      }
      if (!map.hasLayer(shown.layer)) {
        shown.layer.addTo(map);
      }
      showLegend(shown, desa !== null && !showDesa, map.hasLayer(pins));
    }

    map.on("zoomend overlayadd overlayremove", level);
    level();
    if (data.pins_capped) {
      note.textContent = say(words.capped, {n: number(data.max_pins)});
    }
  }

  Promise.all([getJSON(el.getAttribute("data-boundaries")),
               getJSON(el.getAttribute("data-data") + window.location.search)]).then(draw).catch(failed);
}());
