/* The monitoring map: draws /peta/…/titik.geojson with Leaflet (django-leaflet's copy, served by
   us). Without JavaScript, Leaflet or the GeoJSON the map stays hidden and the legend and table
   below it say everything; without tiles (MAP_TILES_URL unset) the markers stand on a plain ground.
   Names go into popups as text, never as HTML. */
(function () {
  "use strict";

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    return node;
  }

  function popup(feature, box) {
    var p = feature.properties;
    var root = el("div", "", { "class": "map-pop" });
    var title = p.url ? el("a", p.name, { href: p.url }) : el("strong", p.name);
    root.appendChild(title);
    var lines = [];
    if (p.kind === "area") {
      lines.push(p.count + " " + box.dataset.places);
      for (var stage in p.stages) lines.push(stage_label(stage) + ": " + p.stages[stage]);
    } else {
      lines.push(p.kind_label + (p.cooperative ? " · " + p.cooperative : "") + (p.display_kind ? " · " + p.display_kind : ""));
      if (p.stage_label) lines.push(p.stage_label);
    }
    lines.forEach(function (line) {
      root.appendChild(el("br"));
      root.appendChild(document.createTextNode(line));
    });
    return root;
  }

  // The legend on the page holds the stages' labels in the page's language.
  var labels = {};
  function stage_label(stage) { return labels[stage] || stage; }

  function area_marker(feature, latlng) {
    var p = feature.properties;
    var size = Math.round(22 + 8 * Math.log10(Math.max(p.count, 1)));
    var icon = L.divIcon({
      className: "",
      html: "",
      iconSize: [size, size],
    });
    var marker = L.marker(latlng, { icon: icon, title: p.name + ": " + p.count, riseOnHover: true });
    marker.on("add", function () {
      var node = marker.getElement();
      node.className += " map-area";
      node.style.background = p.colour + "cc";
      node.textContent = String(p.count);
    });
    return marker;
  }

  function point_marker(feature, latlng) {
    var p = feature.properties;
    var cooperative = p.kind === "cooperative";
    return L.circleMarker(latlng, {
      radius: cooperative ? 7 : p.kind === "display" ? 6 : 4.5,
      color: "#222",
      weight: cooperative ? 1.5 : 1,
      fillColor: p.colour,
      fillOpacity: 0.9,
    });
  }

  function draw(box, data) {
    if (!data.features || !data.features.length) return;
    box.hidden = false;
    var tiles = box.dataset.tiles;
    var map = L.map(box, { attributionControl: !!tiles, preferCanvas: true, zoomSnap: 0.5 });
    if (tiles) {
      L.tileLayer(tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    var aggregated = box.dataset.aggregated === "1";
    var layer = L.geoJSON(data, {
      pointToLayer: aggregated ? area_marker : point_marker,
      onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature, box)); },
    }).addTo(map);
    map.fitBounds(layer.getBounds().pad(0.1), { maxZoom: aggregated ? 9 : 14 });
    box.dataset.drawn = String(layer.getLayers().length); // how many markers: for tests and curious readers
  }

  function start() {
    var box = document.getElementById("kopdes-map");
    if (!box || !window.L || !window.fetch) return;
    document.querySelectorAll(".map-legend [data-stage]").forEach(function (item) {
      labels[item.dataset.stage] = item.textContent.trim();
    });
    fetch(box.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) draw(box, data); })
      .catch(function () { /* the legend and the table stay */ });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
