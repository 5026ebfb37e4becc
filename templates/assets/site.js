// The alignment map's "expand all" and "collapse all" (the map works without them).
(function () {
  "use strict";
  function all(open) {
    return function (event) {
      event.preventDefault();
      document.querySelectorAll("#map details").forEach(function (d) { d.open = open; });
    };
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand && collapse) {
    expand.hidden = false;
    collapse.hidden = false;
    expand.addEventListener("click", all(true));
    collapse.addEventListener("click", all(false));
  }
})();
