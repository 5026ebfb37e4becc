// Client-side search over the index in search-index.js (a script, not JSON: a page opened
// from file:// may not fetch files). Results are built with DOM methods, never innerHTML,
// so titles and names stay text.
(function () {
  "use strict";
  var index = window.GOALSREPO_INDEX || [];
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!input || !list || !status) { return; }
  var root = "";  // search.html sits at the top of the site: paths in the index are relative to it

  function fold(text) {
    return String(text).normalize("NFKD").replace(/[\u0300-\u036f\u200b-\u200f\u2060\ufeff]/g, "").toLowerCase();
  }
  var folded = index.map(function (row) { return fold(row.slice(0, 4).join(" ")); });

  function search(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!words.length) { status.textContent = "Type to search " + index.length + " goals."; return; }
    var hits = [];
    for (var i = 0; i < index.length && hits.length < 200; i++) {
      var text = folded[i];
      if (words.every(function (w) { return text.indexOf(w) !== -1; })) { hits.push(index[i]); }
    }
    status.textContent = hits.length === 0 ? "No goal matches." :
      (hits.length === 200 ? "The first 200 matches." : hits.length + (hits.length === 1 ? " goal found." : " goals found."));
    hits.forEach(function (row) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + row[4];
      a.textContent = row[1];
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " " + row[0] + " · " + row[2] + (row[3] ? " · " + row[3] : "");
      li.appendChild(a);
      li.appendChild(meta);
      list.appendChild(li);
    });
  }

  var params = new URLSearchParams(window.location.search);
  input.value = params.get("q") || "";
  var header = document.getElementById("site-search");
  if (header) { header.value = input.value; }
  input.addEventListener("input", function () { search(input.value); });
  search(input.value);
  input.focus();
})();
