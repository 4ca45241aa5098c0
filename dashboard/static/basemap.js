/* The basemap both maps share: the tiles of the configured BASEMAP_URL (data-basemap), or none,
   and then a plain background that needs no internet (the "plain" class in app.css). */
(function () {
  "use strict";
  window.laporBasemap = function (map, el) {
    var basemap = el.getAttribute("data-basemap");
    if (!basemap) {
      el.classList.add("plain");
      return;
    }
    L.tileLayer(basemap, {
      maxZoom: 19,
      attribution: /openstreetmap\.org/.test(basemap) ? "&copy; OpenStreetMap contributors" : ""
    }).addTo(map);
  };
}());
