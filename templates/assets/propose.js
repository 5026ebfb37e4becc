// "Propose a goal": writes a goal file as the user types and checks it by the rules
// `goalsrepo validate` applies to a new goal (window.GOALSREPO_PROPOSE, written by the
// build from the goal schema and the repository). Every typed character reaches the page
// through textContent or a form value, never as markup. Works from file:// and under the
// site's CSP: no inline script, no eval, no request.
(function () {
  "use strict";
  var DATA = window.GOALSREPO_PROPOSE;
  var form = document.getElementById("propose-form");
  if (!DATA || !form) { return; }
  var RULES = DATA.rules;
  var GOAL_ID = new RegExp(RULES.goal_id);
  var REF = new RegExp(RULES.ref);
  var NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  var DATE = /^\d{4}-\d{2}-\d{2}$/;
  var TAKEN = {};
  DATA.goals.forEach(function (g) { TAKEN[g[0]] = true; });
  var $ = function (id) { return document.getElementById(id); };
  var idEdited = false;
  var krCount = 0;
  var msCount = 0;

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
    return o;
  }

  function element(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // --- YAML, written so that the safe loader reads back exactly what was typed --------
  var PLAIN = /^[A-Za-z][A-Za-z0-9-]*$/;
  var WORDS = /^(y|n|yes|no|on|off|true|false|null)$/i;

  function scalar(text) {
    if (PLAIN.test(text) && !WORDS.test(text)) { return text; }
    return quoted(text);
  }

  function quoted(text) {
    // A JSON string is a YAML double-quoted scalar: quotes, colons, #, newlines and
    // control characters come back as typed. YAML also breaks lines at U+0085, U+2028
    // and U+2029 and refuses DEL, C1 controls and U+FEFF/FFFE/FFFF raw: escape them.
    return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, function (c) {
      return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  function literal(text, indent) {
    // A block scalar keeps a description readable, when it can hold it exactly.
    var body = text.replace(/\n$/, "");
    var lines = body.split("\n");
    var fits = body.length > 0 && text.indexOf("\n") >= 0 && !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text) &&
      !/^\s/.test(body) && !/\n\n$/.test(text) && lines.every(function (l) { return !/[ ]$/.test(l); });
    if (!fits) { return " " + quoted(text); }
    var pad = new Array(indent + 1).join(" ");
    return (text.slice(-1) === "\n" ? " |" : " |-") + "\n" +
      lines.map(function (l) { return l ? pad + l : ""; }).join("\n");
  }

  function number(value) {
    var n = Number(value);
    if (Number.isInteger(n) && Math.abs(n) < 1e15) { return String(n); }
    var s = String(n);
    // PyYAML (YAML 1.1) reads 1e+21 as text: a float needs a dot before the exponent.
    if (s.indexOf("e") >= 0 && s.indexOf(".") < 0) { s = s.replace("e", ".0e"); }
    return s;
  }

  // --- the form ------------------------------------------------------------------------
  function fill() {
    var owner = $("pg-owner");
    if (DATA.people) {
      option(owner, "", "Choose a person");
      DATA.people.forEach(function (p) { option(owner, p[0], p[1] + " (" + p[0] + ")"); });
    } else {
      owner.hidden = true;
      $("pg-owner-text").hidden = false;
      document.querySelector("label[for=pg-owner]").setAttribute("for", "pg-owner-text");
    }
    var team = $("pg-team");
    option(team, "", "No team");
    (DATA.teams || []).forEach(function (t) { option(team, t[0], t[1]); });
    team.value = form.getAttribute("data-team") || "";
    var period = $("pg-period");
    option(period, "", "No period");
    DATA.periods.forEach(function (p) { option(period, p, p); });
    period.value = form.getAttribute("data-period") || "";
    var level = $("pg-level");
    RULES.levels.forEach(function (l) { option(level, l, l); });
    level.value = "team";
    var aligns = $("pg-aligns");
    DATA.goals.forEach(function (g) { option(aligns, g[0], g[1] + " (" + g[0] + ")"); });
  }

  function field(row, name, label, kind, n) {
    var id = row.id + "-" + name;
    var box = element("div", {"class": "field " + name});
    box.appendChild(element("label", {"for": id}, label));
    var input;
    if (kind === "select") {
      input = element("select", {id: id});
    } else {
      input = element("input", {id: id, type: kind || "text"});
      if (kind === "text" || !kind) { input.setAttribute("spellcheck", "false"); }
    }
    input.setAttribute("data-name", name);
    input.setAttribute("aria-describedby", id + "-msg");
    box.appendChild(input);
    box.appendChild(element("p", {"class": "msg", id: id + "-msg"}));
    row.querySelector(".row-fields").appendChild(box);
    return input;
  }

  function addRow(container, prefix, number, legend) {
    var row = element("fieldset", {"class": "row", id: prefix + number});
    row.appendChild(element("legend", {}, legend + " " + number));
    row.appendChild(element("div", {"class": "row-fields"}));
    var remove = element("button", {type: "button", "class": "remove"}, "Remove " + legend.toLowerCase() + " " + number);
    remove.addEventListener("click", function () {
      row.parentNode.removeChild(row);
      update();
      $(prefix === "kr" ? "pg-add-kr" : "pg-add-ms").focus();
    });
    row.appendChild(remove);
    container.appendChild(row);
    return row;
  }

  function addKr() {
    krCount += 1;
    var row = addRow($("pg-krs"), "kr", krCount, "Key result");
    var kind = field(row, "kind", "Kind", "select");
    option(kind, "numeric", "numeric: from a start value to a target");
    option(kind, "milestone", "milestone: done or not");
    option(kind, "control", "control: keep a value below or above a line");
    field(row, "id", "Id");
    field(row, "title", "Title");
    field(row, "unit", "Unit");
    ["start", "target", "current"].forEach(function (n) {
      field(row, n, n.charAt(0).toUpperCase() + n.slice(1)).setAttribute("inputmode", "decimal");
    });
    var keep = field(row, "keep", "Keep", "select");
    RULES.keep.forEach(function (k) { option(keep, k, k); });
    show(row);
    return row;
  }

  function addMilestone() {
    msCount += 1;
    var row = addRow($("pg-milestones"), "ms", msCount, "Milestone");
    field(row, "title", "Title");
    field(row, "due", "Due", "date");
    return row;
  }

  function show(row) {
    var kind = row.querySelector("[data-name=kind]").value;
    var visible = {numeric: ["unit", "start", "target", "current"], milestone: [],
      control: ["unit", "target", "current", "keep"]}[kind];
    ["unit", "start", "target", "current", "keep"].forEach(function (n) {
      row.querySelector(".field." + n).hidden = visible.indexOf(n) < 0;
    });
  }

  function value(row, name) {
    var input = row.querySelector("[data-name=" + name + "]");
    return input ? input.value : "";
  }

  function slug(text) {
    var s = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64).replace(/-+$/, "");
    return s;
  }

  // --- checks: the rules of the goal schema and of validate, for a new goal ----------
  function checkId(id, pattern, what) {
    if (!id) { return "Give the " + what + " an id."; }
    if (!pattern.test(id)) {
      return pattern === GOAL_ID ? "Use lowercase letters, digits and hyphens, starting with a letter or digit (at most 64)."
        : "Use letters, digits, dots, underscores and hyphens.";
    }
    if (RULES.reserved.indexOf(id.split(".")[0].toLowerCase()) >= 0 || /\.$/.test(id)) {
      return "This id cannot be a file name on every system; choose another.";
    }
    return "";
  }

  function checkNumber(text, required) {
    var t = text.trim();
    if (!t) { return required ? "Required: a number." : ""; }
    if (!NUMBER.test(t) || !isFinite(Number(t))) { return "Write a number, such as 1500 or 2.5."; }
    return "";
  }

  function say(input, message) {
    var msg = $(input.getAttribute("aria-describedby"));
    msg.textContent = message;
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    return message ? 1 : 0;
  }

  function owner() {
    return DATA.people ? $("pg-owner").value : $("pg-owner-text").value.trim();
  }

  function update() {
    var errors = 0;
    var title = $("pg-title").value;
    if (!idEdited) { $("pg-id").value = slug(title); }
    var id = $("pg-id").value;
    errors += say($("pg-title"), title.trim() ? "" : "Say what will be true when the goal is met.");
    var idMessage = checkId(id, GOAL_ID, "goal");
    if (!idMessage && TAKEN[id]) { idMessage = "A goal has this id already; choose another."; }
    errors += say($("pg-id"), idMessage);
    var who = owner();
    var ownerInput = DATA.people ? $("pg-owner") : $("pg-owner-text");
    errors += say(ownerInput, who ? checkId(who, REF, "owner") : "Choose the one accountable person.");
    var team = $("pg-team").value;
    var period = $("pg-period").value;

    var lines = ["id: " + scalar(id), "title: " + scalar(title), "owner: " + scalar(who),
      "level: " + scalar($("pg-level").value)];
    if (team) { lines.push("team: " + scalar(team)); }
    if (period) { lines.push("period: " + scalar(period)); }
    var parents = Array.prototype.filter.call($("pg-aligns").options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
    if (parents.length) {
      lines.push("aligns_to:");
      parents.forEach(function (p) { lines.push("  - " + scalar(p)); });
    }
    var description = $("pg-description").value.replace(/\r\n?/g, "\n");
    if (description.trim()) { lines.push("description:" + literal(description, 2)); }

    var krRows = document.querySelectorAll("#pg-krs .row");
    var seen = {};
    if (krRows.length) { lines.push("key_results:"); }
    Array.prototype.forEach.call(krRows, function (row) {
      var kind = value(row, "kind");
      var krId = value(row, "id");
      var message = checkId(krId, GOAL_ID, "key result");
      if (!message && seen[krId]) { message = "Another key result of this goal has this id."; }
      seen[krId] = true;
      errors += say(row.querySelector("[data-name=id]"), message);
      var krTitle = value(row, "title");
      errors += say(row.querySelector("[data-name=title]"), krTitle.trim() ? "" : "Say what is measured.");
      lines.push("  - id: " + scalar(krId), "    title: " + scalar(krTitle));
      if (kind === "milestone") {
        lines.push("    done: false");
        return;
      }
      var unit = value(row, "unit");
      if (unit.trim()) { lines.push("    unit: " + scalar(unit)); }
      var start = value(row, "start").trim();
      var target = value(row, "target").trim();
      var current = value(row, "current").trim();
      if (kind === "numeric") {
        errors += say(row.querySelector("[data-name=start]"), checkNumber(start, true));
        var targetMessage = checkNumber(target, true);
        if (!targetMessage && !checkNumber(start, true) && Number(start) === Number(target)) {
          targetMessage = "The target must differ from the start.";
        }
        errors += say(row.querySelector("[data-name=target]"), targetMessage);
        put("start", start);
      } else {
        lines.push("    keep: " + scalar(value(row, "keep")));
        errors += say(row.querySelector("[data-name=target]"), checkNumber(target, true));
      }
      errors += say(row.querySelector("[data-name=current]"), checkNumber(current, false));
      put("target", target);
      put("current", current);

      function put(name, text) {
        // What is not a number is written as typed, so the file says what is wrong too.
        if (text) { lines.push("    " + name + ": " + (checkNumber(text, true) ? quoted(text) : number(text))); }
      }
    });

    var msRows = document.querySelectorAll("#pg-milestones .row");
    if (msRows.length) { lines.push("milestones:"); }
    Array.prototype.forEach.call(msRows, function (row) {
      var msTitle = value(row, "title");
      errors += say(row.querySelector("[data-name=title]"), msTitle.trim() ? "" : "Say what will be done.");
      lines.push("  - title: " + scalar(msTitle));
      var due = value(row, "due");
      errors += say(row.querySelector("[data-name=due]"), due && !DATE.test(due) ? "Use a date: YYYY-MM-DD." : "");
      if (due && DATE.test(due)) { lines.push("    due: " + scalar(due)); }
      lines.push("    done: false");
    });

    var text = lines.join("\n") + "\n";
    var folder = [DATA.goals_dir, team, period].filter(Boolean).join("/");
    var name = (id || "goal") + ".yaml";
    $("pg-yaml").textContent = text;
    $("pg-path").textContent = folder + "/" + name;
    $("pg-summary").textContent = errors ? (errors === 1 ? "1 thing to fix before this goal can be proposed." :
      errors + " things to fix before this goal can be proposed.") : "Ready: this file passes the checks.";
    form.setAttribute("data-valid", errors ? "false" : "true");
    offer(text, folder, name, errors === 0);
  }

  var blobUrl = null;

  function offer(text, folder, name, ready) {
    var download = $("pg-download");
    var copy = $("pg-copy");
    var open = $("pg-open");
    [download, open].forEach(function (a) { a.setAttribute("aria-disabled", ready ? "false" : "true"); });
    copy.disabled = !ready;
    if (blobUrl) { URL.revokeObjectURL(blobUrl); }
    blobUrl = URL.createObjectURL(new Blob([text], {type: "application/yaml"}));
    download.href = ready ? blobUrl : "#";
    download.setAttribute("download", name);
    var forge = DATA.forge;
    if (!forge) { return; }
    open.hidden = false;
    var address = forge.page + folder.split("/").map(encodeURIComponent).join("/");
    var prefilled = false;
    if (forge.name_key) {
      var full = address + "?" + forge.name_key + "=" + encodeURIComponent(name) + "&" +
        forge.content_key + "=" + encodeURIComponent(text);
      // Forges refuse very long addresses: past 8,000 characters the content is copied.
      if (full.length <= 8000) { address = full; prefilled = true; }
    }
    open.href = ready ? address : "#";
    open.setAttribute("data-prefilled", prefilled ? "true" : "false");
    open.textContent = prefilled ? "Open on " + forge.name : "Copy and open " + forge.name;
  }

  function copyText(done) {
    var text = $("pg-yaml").textContent;
    var status = $("pg-done");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        status.textContent = done;
      }, function () { selectYaml(status); });
    } else {
      selectYaml(status);
    }
  }

  function selectYaml(status) {
    var range = document.createRange();
    range.selectNodeContents($("pg-yaml"));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    status.textContent = "The file is selected: press Ctrl+C (⌘C) to copy it.";
  }

  fill();
  form.hidden = false;
  var hint = document.querySelector("#propose .js-needed");
  if (hint) { hint.hidden = true; }
  form.addEventListener("input", function (event) {
    if (event.target.id === "pg-id") { idEdited = event.target.value !== ""; }
    if (event.target.getAttribute("data-name") === "kind") { show(event.target.closest(".row")); }
    update();
  });
  form.addEventListener("change", function (event) {
    if (event.target.getAttribute("data-name") === "kind") { show(event.target.closest(".row")); }
    update();
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  $("pg-add-kr").addEventListener("click", function () {
    var row = addKr();
    update();
    row.querySelector("[data-name=kind]").focus();
  });
  $("pg-add-ms").addEventListener("click", function () {
    var row = addMilestone();
    update();
    row.querySelector("[data-name=title]").focus();
  });
  $("pg-copy").addEventListener("click", function () { copyText("Copied the goal file."); });
  [$("pg-download"), $("pg-open")].forEach(function (a) {
    a.addEventListener("click", function (event) {
      if (a.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
      if (a.id === "pg-open" && a.getAttribute("data-prefilled") !== "true") {
        copyText("Copied the goal file: paste it into the new file.");
      }
    });
  });
  update();
})();
