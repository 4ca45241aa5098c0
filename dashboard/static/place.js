/* The report page's small map: the region's kecamatan outlines and the report's pin. No inline
   script (the page's CSP): the element carries what it needs in data attributes. */
(function () {
  "use strict";
  var el = document.getElementById("place-map");
  if (!el || typeof L === "undefined") {
    return;
  }
  var lat = parseFloat(el.getAttribute("data-lat"));
  var lon = parseFloat(el.getAttribute("data-lon"));
  var map = L.map(el, {zoomSnap: 0.5, scrollWheelZoom: false});
  window.laporBasemap(map, el);
  map.setView([lat, lon], 14);
  L.circleMarker([lat, lon], {radius: 8, className: "place-pin"}).addTo(map);
  fetch(el.getAttribute("data-boundaries"), {credentials: "same-origin"}).then(function (r) {
    if (!r.ok) {
      throw new Error("HTTP " + r.status);
    }
    return r.json();
  }).then(function (shapes) {
    var layer = shapes.desa || shapes.kecamatan;
    if (layer) {
      L.geoJSON(layer, {
        style: function () { return {className: "place-area"}; },
        onEachFeature: function (feature, shape) { shape.bindTooltip(feature.properties.name); }
      }).addTo(map).bringToBack();
    }
  }).catch(function () { /* the pin alone is still the place */ });
}());
