/*
 * The sheets-sync sidebar: gallery, connections, report creation, refresh with progress,
 * schedule editor and run history, all through the /api endpoints.
 *
 * The user's identity token arrives in the URL fragment (#token=...&spreadsheet=...) or by
 * postMessage from the add-on shell, stays in this script's memory only (no cookie, no storage)
 * and travels in the Authorization header. Every piece of data is put on the page with
 * textContent, never as HTML.
 */
(function () {
  "use strict";

  var body = document.body;
  var API = body.dataset.api || "/api";
  var DEV_LOGIN = body.dataset.devLogin === "true";
  var LOCAL = body.dataset.local === "true";
  var SCHEDULES = body.dataset.schedules === "true";
  var FRAMED = window.parent !== window;
  // Apps Script sidebars run on these hosts; only they may hand this page a token.
  var SHELL_ORIGIN = /^https:\/\/[a-z0-9-]+\.googleusercontent\.com$/;
  var POLL_FIRST_MS = 800;
  var POLL_MAX_MS = 3000;
  var POLL_GIVE_UP_MS = 30 * 60 * 1000;

  var state = {
    token: null,
    spreadsheetId: null,
    templates: [],
    selectedTemplate: null,
    connections: [],
    reports: [],
    reportId: null,
    view: null,
    awaitingSignIn: false,
    schedule: null,
    polling: null,
    tokenWaiters: []
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function show(node, visible) { node.hidden = !visible; }

  // ---- talking to the API ----------------------------------------------------------------

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  function request(method, path, payload) {
    var headers = { "Accept": "application/json", "Authorization": "Bearer " + state.token };
    var init = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
    if (payload instanceof FormData) {
      init.body = payload;  // the browser sets the multipart boundary
    } else if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    return fetch(API + path, init).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) { return data; }
        var error = data && data.error ? data.error : {};
        throw new ApiError(
          response.status,
          error.code || "http_" + response.status,
          error.message || "The service answered " + response.status + "; try again."
        );
      });
    }, function () {
      throw new ApiError(0, "network", "Cannot reach the sheets-sync service; check your " +
        "connection and try again.");
    });
  }

  /* A call that, when the token has expired, asks the add-on shell for a fresh one once. */
  function api(method, path, payload) {
    return request(method, path, payload).catch(function (err) {
      if (err.status === 401 && FRAMED) {
        return freshToken().then(function () { return request(method, path, payload); });
      }
      throw err;
    }).catch(function (err) {
      if (err.status === 401) { signedOut(err.message); }
      throw err;
    });
  }

  function freshToken() {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        reject(new ApiError(401, "token_expired", "Your sign-in expired; reopen the sidebar."));
      }, 10000);
      state.tokenWaiters.push(function () { clearTimeout(timer); resolve(); });
      window.parent.postMessage({ type: "sheets-sync:token-request" }, "*");
    });
  }

  /* Every API operation the sidebar uses, as "METHOD /path"; a test checks each against the
     OpenAPI document. */
  var ENDPOINTS = {
    me: "GET /me",
    templates: "GET /templates",
    connections: "GET /connections",
    createConnection: "POST /connections",
    testConnection: "POST /connections/{connection_id}/test",
    deleteConnection: "DELETE /connections/{connection_id}",
    deleteReport: "DELETE /reports/{report_id}",
    authorize: "POST /oauth/{provider}/authorize",
    uploads: "GET /uploads",
    upload: "POST /uploads",
    copyTemplate: "POST /templates/{template_id}/copy",
    googleAuthorization: "GET /google/authorization",
    revokeGoogle: "DELETE /google/authorization",
    reports: "GET /reports",
    createReport: "POST /reports",
    refresh: "POST /reports/{report_id}/refresh",
    run: "GET /runs/{run_id}",
    runs: "GET /reports/{report_id}/runs",
    schedules: "GET /schedules",
    createSchedule: "POST /reports/{report_id}/schedule",
    changeSchedule: "PATCH /reports/{report_id}/schedule",
    pauseSchedule: "POST /reports/{report_id}/schedule/pause",
    resumeSchedule: "POST /reports/{report_id}/schedule/resume",
    deleteSchedule: "DELETE /reports/{report_id}/schedule"
  };

  function call(name, params, payload, query) {
    var parts = ENDPOINTS[name].split(" ");
    var path = parts[1].replace(/\{(\w+)\}/g, function (_, key) {
      return encodeURIComponent(params[key]);
    });
    return api(parts[0], path + (query || ""), payload);
  }

  // ---- sign-in -----------------------------------------------------------------------------

  function readFragment() {
    if (!location.hash || location.hash.length < 2) { return; }
    var params = new URLSearchParams(location.hash.slice(1));
    if (params.get("spreadsheet")) { state.spreadsheetId = params.get("spreadsheet"); }
    if (params.get("token")) { state.token = params.get("token"); }
    if (params.get("view")) { state.view = params.get("view"); }
    // Keep the token out of the address bar, history and any copied link.
    history.replaceState(null, "", location.pathname + location.search);
  }

  function onMessage(event) {
    if (!FRAMED || event.source !== window.parent) { return; }
    if (event.origin !== location.origin && !SHELL_ORIGIN.test(event.origin)) { return; }
    var data = event.data || {};
    if (data.type !== "sheets-sync:token" || typeof data.token !== "string") { return; }
    var first = state.token === null;
    state.token = data.token;
    if (typeof data.spreadsheetId === "string" && data.spreadsheetId) {
      state.spreadsheetId = data.spreadsheetId;
    }
    if (typeof data.view === "string" && data.view) { state.view = data.view; }
    var waiters = state.tokenWaiters;
    state.tokenWaiters = [];
    waiters.forEach(function (resolve) { resolve(); });
    if (first) { start(); }
  }

  function signedOut(message) {
    state.token = null;
    stopPolling();
    show($("app"), false);
    show($("who"), false);
    show($("signin"), true);
    show($("dev-form"), DEV_LOGIN);
    if (message) { notice(message); }
  }

  function notice(message) {
    var box = $("notice");
    box.textContent = message || "";
    show(box, Boolean(message));
  }

  function start() {
    notice("");
    call("me").then(function (me) {
      show($("signin"), false);
      show($("app"), true);
      var who = $("who");
      who.textContent = "Signed in as " + me.email;
      show(who, true);
      return Promise.all([loadTemplates(true), loadConnections(), loadReports(),
                          loadGoogleAccount()]);
    }).then(function () {
      prepareCopyForm();
      openView();
    }).catch(function (err) {
      if (err.status !== 401) { notice(err.message); }
    });
  }

  /* The add-on's "Schedule" menu opens the sidebar on the schedule editor. */
  function openView() {
    if (state.view !== "schedule") { return; }
    state.view = null;
    var target = $("report-panel").hidden ? $("report-heading") : $("schedule-heading");
    target.scrollIntoView();
    target.focus();
  }

  // ---- template gallery --------------------------------------------------------------------

  var AUDIENCES = { executive: "Executives", manager: "Managers", analyst: "Analysts" };

  function titleCase(word) { return word.charAt(0).toUpperCase() + word.slice(1); }

  function loadTemplates(fillFilters) {
    var query = new URLSearchParams();
    if ($("filter-audience").value) { query.set("audience", $("filter-audience").value); }
    if ($("filter-cadence").value) { query.set("cadence", $("filter-cadence").value); }
    var suffix = query.toString() ? "?" + query.toString() : "";
    return call("templates", {}, undefined, suffix).then(function (data) {
      state.templates = data.templates;
      if (fillFilters) { fillFilterOptions(data.templates); }
      renderTemplates();
    });
  }

  function fillFilterOptions(templates) {
    var audiences = [];
    var cadences = [];
    templates.forEach(function (t) {
      if (audiences.indexOf(t.audience) < 0) { audiences.push(t.audience); }
      if (cadences.indexOf(t.cadence) < 0) { cadences.push(t.cadence); }
    });
    audiences.sort().forEach(function (a) {
      var option = el("option", AUDIENCES[a] || titleCase(a));
      option.value = a;
      $("filter-audience").appendChild(option);
    });
    ["hourly", "daily", "weekly", "monthly", "quarterly"].filter(function (c) {
      return cadences.indexOf(c) >= 0;
    }).concat(cadences.filter(function (c) {
      return ["hourly", "daily", "weekly", "monthly", "quarterly"].indexOf(c) < 0;
    })).forEach(function (c) {
      var option = el("option", titleCase(c));
      option.value = c;
      $("filter-cadence").appendChild(option);
    });
  }

  function renderTemplates() {
    var list = $("template-list");
    Array.prototype.slice.call(list.querySelectorAll("label")).forEach(function (node) {
      list.removeChild(node);
    });
    var stillShown = state.templates.some(function (t) { return t.id === state.selectedTemplate; });
    if (!stillShown) { state.selectedTemplate = null; }
    state.templates.forEach(function (t) {
      var label = el("label");
      var radio = el("input");
      radio.type = "radio";
      radio.name = "template";
      radio.value = t.id;
      radio.checked = t.id === state.selectedTemplate;
      radio.addEventListener("change", function () { selectTemplate(t.id); });
      var text = el("span");
      text.appendChild(el("span", t.name, "card-name"));
      text.appendChild(el("span", (AUDIENCES[t.audience] || titleCase(t.audience)) + " · " +
        titleCase(t.cadence) + " · " + t.tabs.length + " tabs, " + t.metrics.length + " KPIs",
        "card-meta"));
      text.appendChild(el("span", t.use_case, "card-meta"));
      label.appendChild(radio);
      label.appendChild(text);
      list.appendChild(label);
    });
    var n = state.templates.length;
    $("template-count").textContent = n === 0 ? "No template matches these filters." :
      n + (n === 1 ? " template" : " templates");
    renderPreview();
  }

  function selectTemplate(id) {
    state.selectedTemplate = id;
    renderPreview();
    prepareCopyForm();
  }

  function currentTemplate() {
    return state.templates.filter(function (t) { return t.id === state.selectedTemplate; })[0];
  }

  function renderPreview() {
    var box = $("template-preview");
    var t = currentTemplate();
    clear(box);
    show(box, Boolean(t));
    if (!t) { return; }
    box.appendChild(el("h3", "What " + t.name + " contains"));
    box.appendChild(el("p", "Tabs", "card-name"));
    var tabs = el("ul");
    t.tabs.forEach(function (tab) { tabs.appendChild(el("li", tab.name)); });
    box.appendChild(tabs);
    box.appendChild(el("p", "KPIs", "card-name"));
    var metrics = el("ul");
    t.metrics.forEach(function (m) { metrics.appendChild(el("li", m.label + " (" + m.family + ")")); });
    box.appendChild(metrics);
  }

  // ---- connections -------------------------------------------------------------------------

  var NEEDS = {
    sheets: "A Google Sheets range needs the spreadsheet's id and the range (for example " +
      "Spend!A1:E) holding date, channel, campaign and cost. Adding it from the sidebar is " +
      "not available yet."
  };

  function hubspotAuth() {
    var checked = document.querySelector("input[name=hubspot-auth]:checked");
    return checked ? checked.value : "oauth";
  }

  /* Salesforce, and HubSpot without a token, connect by signing in at the vendor. */
  function signsIn(type) {
    return type === "salesforce" || (type === "hubspot" && hubspotAuth() === "oauth");
  }

  function loadConnections() {
    return call("connections").then(function (data) {
      state.connections = data.connections;
      renderConnections();
    });
  }

  function renderConnections(checkId) {
    var list = $("connection-list");
    var checked = chosenConnectionIds();
    if (checkId) { checked.push(checkId); }
    Array.prototype.slice.call(list.querySelectorAll(".connection-row")).forEach(function (n) {
      list.removeChild(n);
    });
    state.connections.forEach(function (c) {
      var row = el("div", null, "connection-row");
      var label = el("label");
      var box = el("input");
      box.type = "checkbox";
      box.name = "connection";
      box.value = c.id;
      box.checked = checked.indexOf(c.id) >= 0 || state.connections.length === 1;
      box.addEventListener("change", prepareCopyForm);
      label.appendChild(box);
      label.appendChild(el("span", c.label + " (" + c.type + ", " + c.name + ")"));
      row.appendChild(label);
      row.appendChild(connectionActions(c));
      list.appendChild(row);
    });
    show($("connection-empty"), state.connections.length === 0);
    prepareCopyForm();
  }

  function smallButton(text, name, onClick) {
    var button = el("button", text, "small");
    button.type = "button";
    button.setAttribute("aria-label", text + " " + name);
    button.addEventListener("click", onClick);
    return button;
  }

  /* Test, sign in again (vendors with a sign-in), remove: results go to the status line. */
  function connectionActions(c) {
    var actions = el("div", null, "row-actions");
    var result = $("connect-result");
    actions.appendChild(smallButton("Test", c.label, function () {
      clear(result);
      result.className = "hint";
      result.textContent = "Testing " + c.label + "…";
      call("testConnection", { connection_id: c.id }).then(function (check) {
        result.className = check.ok ? "ok" : "failed";
        result.textContent = c.label + ": " + check.message;
      }).catch(function (err) {
        result.className = "failed";
        result.textContent = err.message;
      });
    }));
    if (c.type === "salesforce" || c.type === "hubspot") {
      actions.appendChild(smallButton("Sign in again", c.label, function () {
        clear(result);
        call("authorize", { provider: c.type }, { connection_id: c.id }).then(function (link) {
          state.awaitingSignIn = true;
          signInLink(result, link.authorization_url, "Sign in to " + c.label + " again");
        }).catch(function (err) {
          result.className = "failed";
          result.textContent = err.message;
        });
      }));
    }
    actions.appendChild(smallButton("Remove", c.label, function () {
      call("deleteConnection", { connection_id: c.id }).then(function () {
        state.connections = state.connections.filter(function (x) { return x.id !== c.id; });
        renderConnections();
        result.className = "ok";
        result.textContent = "Removed " + c.label + ".";
        $("connect-heading").focus();
      }).catch(function (err) {
        result.className = "failed";
        result.textContent = err.message;
      });
    }));
    return actions;
  }

  function chosenConnectionIds() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#connection-list input:checked")
    ).map(function (box) { return box.value; });
  }

  var DEFAULT_NAMES = { demo: "demo", file: "files", salesforce: "salesforce",
                       hubspot: "hubspot", dynamics: "dynamics", sheets: "spend" };

  function onTypeChange() {
    var type = $("connection-type").value;
    Array.prototype.slice.call(document.querySelectorAll("[data-for-type]")).forEach(function (n) {
      show(n, n.getAttribute("data-for-type") === type);
    });
    show($("hubspot-token-row"), type === "hubspot" && hubspotAuth() === "private_app");
    show($("connection-common"), type !== "sheets");
    $("type-needs").textContent = NEEDS[type] || "";
    var button = $("connect-button");
    button.disabled = type === "sheets";
    button.textContent = signsIn(type) ?
      "Sign in with " + (type === "salesforce" ? "Salesforce" : "HubSpot") : "Connect";
    var name = $("connection-name");
    var defaults = Object.keys(DEFAULT_NAMES).map(function (k) { return DEFAULT_NAMES[k]; });
    if (name.value === "" || defaults.indexOf(name.value) >= 0) {
      name.value = DEFAULT_NAMES[type];
    }
    if (type === "file") { loadUploads(); }
  }

  function loadUploads() {
    return call("uploads").then(function (data) {
      $("upload-list").textContent = data.files.length ?
        "Your files: " + data.files.map(function (f) { return f.path; }).join(", ") + "." :
        "No file uploaded yet.";
    }).catch(function (err) { $("upload-list").textContent = err.message; });
  }

  function onUpload() {
    var input = $("file-upload");
    if (!input.files.length) {
      $("upload-list").textContent = "Choose a CSV or XLSX file first.";
      input.focus();
      return;
    }
    var form = new FormData();
    form.append("file", input.files[0]);
    $("upload-button").disabled = true;
    $("upload-list").textContent = "Uploading " + input.files[0].name + "…";
    call("upload", {}, form).then(function (stored) {
      input.value = "";
      return loadUploads().then(function () {
        $("upload-list").textContent = "Uploaded " + stored.path + ". " +
          $("upload-list").textContent;
      });
    }).catch(function (err) {
      $("upload-list").textContent = err.message;
    }).then(function () { $("upload-button").disabled = false; });
  }

  function connectionRequest(type, name, label) {
    if (type === "demo") {
      return { type: type, name: name, label: label,
               options: { flavor: $("demo-flavor").value, size: Number($("demo-size").value) } };
    }
    if (type === "file") {
      return { type: type, name: name, label: label,
               options: { mapping: JSON.parse($("file-mapping").value) } };
    }
    if (type === "hubspot") {
      return { type: type, name: name, label: label, options: { auth: "private_app" },
               secrets: { access_token: $("hubspot-token").value.trim() } };
    }
    return { type: type, name: name, label: label,
             options: { org_url: $("dynamics-org").value.trim(),
                        tenant_id: $("dynamics-tenant").value.trim(),
                        client_id: $("dynamics-client").value.trim() },
             secrets: { client_secret: $("dynamics-secret").value } };
  }

  /* A link the user follows to sign in at the vendor (a click, so no pop-up blocker). */
  function signInLink(box, url, text) {
    var link = el("a", text);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    box.appendChild(link);
    link.focus();
  }

  function onConnect(event) {
    event.preventDefault();
    var type = $("connection-type").value;
    var name = $("connection-name").value.trim();
    var label = $("connection-type").selectedOptions[0].textContent;
    var result = $("connect-result");
    clear(result);
    result.className = "hint";
    if (signsIn(type)) {
      var vendor = type === "salesforce" ? "Salesforce" : "HubSpot";
      var body = { name: name, label: vendor };
      if (type === "salesforce") { body.sandbox = $("salesforce-sandbox").checked; }
      call("authorize", { provider: type }, body).then(function (link) {
        state.awaitingSignIn = true;
        result.appendChild(el("p", "Continue in a new window; the connection appears here " +
          "when you have signed in."));
        signInLink(result, link.authorization_url, "Sign in with " + vendor);
      }).catch(function (err) {
        result.className = "failed";
        result.textContent = err.message;
      });
      return;
    }
    var payload;
    try {
      payload = connectionRequest(type, name, label);
    } catch (err) {
      result.textContent = "The mapping is not valid JSON: " + err.message;
      result.className = "failed";
      $("file-mapping").focus();
      return;
    }
    $("connect-button").disabled = true;
    result.textContent = "Connecting…";
    call("createConnection", {}, payload)
      .then(function (created) {
        state.connections.push(created);
        renderConnections(created.id);
        result.className = "ok";
        result.textContent = "Connected " + created.label + ".";
        $("connect-details").open = false;
        $("hubspot-token").value = "";
        $("dynamics-secret").value = "";
        return checkConnection(created, result);
      })
      .catch(function (err) {
        result.className = "failed";
        result.textContent = err.message;
        if (err.code === "invalid_name" || err.code === "connection_name_taken") {
          $("connection-name").focus();
        }
      })
      .then(function () { $("connect-button").disabled = false; });
  }

  /* The connector's own test: credentials, permissions, files present. */
  function checkConnection(connection, box) {
    return call("testConnection", { connection_id: connection.id }).then(function (check) {
      box.appendChild(el("span", " Test: " + check.message,
        check.ok ? "" : "failed"));
    }).catch(function (err) {
      box.appendChild(el("span", " Test: " + err.message, "failed"));
    });
  }

  /* Back from a vendor's sign-in window: show the connection it created. */
  function onReturn() {
    if (!state.awaitingSignIn || !state.token) { return; }
    state.awaitingSignIn = false;
    loadConnections();
    loadGoogleAccount();
  }

  // ---- creating a report -------------------------------------------------------------------

  function browserTimeZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    } catch (err) {
      return "UTC";
    }
  }

  function prepareCopyForm() {
    var t = currentTemplate();
    var chosen = chosenConnectionIds();
    var names = state.connections.filter(function (c) { return chosen.indexOf(c.id) >= 0; })
      .map(function (c) { return c.label; });
    var missing = [];
    if (!t) { missing.push("choose a template (step 1)"); }
    if (chosen.length === 0) { missing.push("choose or add a connection (step 2)"); }
    $("copy-summary").textContent = missing.length ?
      "To create the report, " + missing.join(" and ") + "." :
      "Template: " + t.name + ". Data from: " + names.join(", ") + ".";
    $("copy-button").disabled = missing.length > 0;
    var title = $("copy-title");
    if (t && (!title.value || title.dataset.auto === "true")) {
      title.value = t.name;
      title.dataset.auto = "true";
    }
    var copying = where() === "copy";
    show($("copy-spreadsheet-row"), !copying);
    $("copy-spreadsheet").required = !copying;
    $("where-bind").textContent = state.spreadsheetId ? "This spreadsheet" :
      (LOCAL ? "A local workbook (.xlsx)" : "An existing spreadsheet");
    var sheet = $("copy-spreadsheet");
    if (state.spreadsheetId) {
      sheet.value = state.spreadsheetId;
      sheet.readOnly = true;
      $("copy-spreadsheet-help").textContent = "The spreadsheet this sidebar is open in.";
    } else if (!sheet.value && t) {
      sheet.value = "local-" + t.id.replace(/_/g, "-") + "-" +
        Math.random().toString(16).slice(2, 6);
      $("copy-spreadsheet-help").textContent = LOCAL ?
        "Running locally, any short name works: the report is written to an .xlsx file." :
        "The id in the spreadsheet's URL, between /d/ and /edit.";
    }
  }

  function where() {
    var checked = document.querySelector("input[name=where]:checked");
    return checked ? checked.value : "bind";
  }

  function onCopy(event) {
    event.preventDefault();
    var result = $("copy-result");
    var copying = where() === "copy";
    var payload = {
      connection_ids: chosenConnectionIds(),
      title: $("copy-title").value.trim() || null,
      settings: { timezone: browserTimeZone() }
    };
    var pending;
    if (copying) {
      pending = call("copyTemplate", { template_id: state.selectedTemplate }, payload);
    } else {
      payload.spreadsheet_id = $("copy-spreadsheet").value.trim();
      payload.template_id = state.selectedTemplate;
      pending = call("createReport", {}, payload);
    }
    $("copy-button").disabled = true;
    clear(result);
    result.className = "hint";
    result.textContent = copying ? "Copying the template into a new spreadsheet…" :
      "Creating the report…";
    pending.then(function (answer) {
      var report = copying ? answer.report : answer;
      clear(result);
      result.className = "ok";
      result.appendChild(el("span", "Created " + report.title + ". Refresh it to fill the " +
        "spreadsheet. "));
      if (copying) {
        var link = el("a", "Open the new spreadsheet");
        link.href = answer.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        result.appendChild(link);
      }
      return loadReports(report.id).then(function () { $("report-heading").focus(); });
    }).catch(function (err) {
      result.className = "failed";
      result.textContent = err.message;
      if (needsGoogle(err)) { offerGoogleAccess(result); }
    }).then(function () { prepareCopyForm(); });
  }

  function needsGoogle(err) {
    return /google/.test(err.code) || /authori[sz]e.{0,20}Google|Google.{0,40}authori[sz]/i
      .test(err.message);
  }

  /* Writing to Google Sheets needs the user's one-time consent, given in a new window. */
  function offerGoogleAccess(box) {
    var button = el("button", "Allow access to Google Sheets");
    button.type = "button";
    button.addEventListener("click", function () {
      button.disabled = true;
      allowGoogle(box).catch(function () { button.disabled = false; });
    });
    box.appendChild(button);
  }

  function allowGoogle(box) {
    return call("authorize", { provider: "google" }, {}).then(function (link) {
      state.awaitingSignIn = true;
      signInLink(box, link.authorization_url, "Continue to Google");
    }).catch(function (err) {
      box.appendChild(el("p", err.message, "failed"));
      throw err;
    });
  }

  // ---- the Google account: may the service write spreadsheets as the user? -----------------

  function loadGoogleAccount() {
    return call("googleAuthorization").then(function (granted) {
      clear($("google-link"));
      show($("google-allow"), !granted.authorized);
      show($("google-revoke"), granted.authorized);
      $("google-state").textContent = granted.authorized ?
        "sheets-sync may create and write your report spreadsheets" +
          (granted.granted_at ? " (allowed " + when(granted.granted_at) + ")." : ".") :
        "sheets-sync cannot write to Google Sheets for you yet." +
          (LOCAL ? " Running locally, reports are written to .xlsx files instead." : "");
    }).catch(function (err) {
      $("google-state").textContent = err.message;
    });
  }

  function onGoogleAllow() {
    clear($("google-link"));
    allowGoogle($("google-link")).catch(function () { return null; });
  }

  function onGoogleRevoke() {
    call("revokeGoogle").then(loadGoogleAccount).then(function () {
      $("google-state").textContent = "Access removed. " + $("google-state").textContent;
    }).catch(function (err) {
      $("google-state").textContent = err.message;
    });
  }

  // ---- the current report: refresh, history, schedule --------------------------------------

  function loadReports(selectId) {
    return call("reports").then(function (data) {
      state.reports = data.reports;
      var select = $("report-select");
      clear(select);
      data.reports.forEach(function (r) {
        var option = el("option", r.title);
        option.value = r.id;
        select.appendChild(option);
      });
      var bound = data.reports.filter(function (r) {
        return r.spreadsheet_id === state.spreadsheetId;
      })[0];
      var keep = data.reports.filter(function (r) { return r.id === state.reportId; })[0];
      var pick = selectId || (bound && bound.id) || (keep && keep.id) ||
        (data.reports[0] && data.reports[0].id) || null;
      show($("report-empty"), !pick);
      show($("report-panel"), Boolean(pick));
      if (pick) {
        select.value = pick;
        return selectReport(pick);
      }
      return null;
    });
  }

  function selectReport(id) {
    stopPolling();
    state.reportId = id;
    var report = state.reports.filter(function (r) { return r.id === id; })[0];
    var known = state.templates.filter(function (t) { return t.id === report.template_id; })[0];
    var template = known ? known.name : report.template_id.replace(/_/g, " ");
    $("report-meta").textContent = "Template: " + template + " · spreadsheet " +
      report.spreadsheet_id;
    $("run-status").textContent = "";
    show($("run-error"), false);
    return Promise.all([loadHistory(true), loadSchedule()]);
  }

  /* Deleting asks for a second click: sidebars cannot show confirm() dialogs. */
  function onDeleteReport() {
    var button = $("delete-report");
    var report = state.reports.filter(function (r) { return r.id === state.reportId; })[0];
    if (!report) { return; }
    if (button.dataset.armed !== state.reportId) {
      button.dataset.armed = state.reportId;
      button.textContent = "Delete " + report.title + " and its history? Click again";
      return;
    }
    delete button.dataset.armed;
    button.textContent = "Delete this report";
    stopPolling();
    call("deleteReport", { report_id: report.id }).then(function () {
      $("copy-result").textContent = "";
      state.reportId = null;
      return loadReports().then(function () {
        $("run-status").textContent = "Deleted " + report.title + "; the spreadsheet stays.";
        $("report-heading").focus();
      });
    }).catch(function (err) { showRunError(err.code, err.message); });
  }

  function onRefresh() {
    var button = $("refresh-button");
    button.disabled = true;
    show($("run-error"), false);
    setStatus("Starting the refresh…");
    call("refresh", { report_id: state.reportId }).then(function (run) {
      follow(run);
    }).catch(function (err) {
      if (err.code === "refresh_in_progress") {
        setStatus(err.message);
        return loadHistory(true);
      }
      button.disabled = false;
      setStatus("");
      showRunError(err.code, err.message);
      return null;
    });
  }

  function stopPolling() {
    if (state.polling) { clearTimeout(state.polling.timer); }
    state.polling = null;
  }

  /* Poll a queued or running run until it finishes, easing off to one call every 3 s. */
  function follow(run) {
    stopPolling();
    var poll = { runId: run.id, reportId: run.report_id, delay: POLL_FIRST_MS,
                 started: Date.now(), timer: null };
    state.polling = poll;
    $("refresh-button").disabled = true;
    renderRun(run);
    function next() {
      if (state.polling !== poll) { return; }
      if (Date.now() - poll.started > POLL_GIVE_UP_MS) {
        setStatus("The refresh is taking long; it goes on in the background. Check the " +
          "recent refreshes later.");
        $("refresh-button").disabled = false;
        state.polling = null;
        return;
      }
      poll.timer = setTimeout(function () {
        call("run", { run_id: poll.runId }).then(function (current) {
          if (state.polling !== poll) { return; }
          renderRun(current);
          if (current.status === "queued" || current.status === "running") {
            poll.delay = Math.min(POLL_MAX_MS, Math.round(poll.delay * 1.4));
            next();
          } else {
            state.polling = null;
            $("refresh-button").disabled = false;
            loadHistory(false);
          }
        }).catch(function (err) {
          if (state.polling !== poll) { return; }
          // A dropped poll is not a failed refresh: say so and keep trying.
          setStatus("Checking the refresh… (" + err.message + ")");
          poll.delay = POLL_MAX_MS;
          if (err.status !== 401 && err.status !== 404) { next(); }
        });
      }, poll.delay);
    }
    next();
  }

  var STEPS = { blending: "Combining the sources", "computing tabs": "Computing the tabs",
                writing: "Writing the spreadsheet", done: "Done" };

  function stepText(step) {
    if (!step) { return "Starting"; }
    if (step.indexOf("reading ") === 0) { return "Reading " + step.slice(8); }
    return STEPS[step] || step;
  }

  /* Rewrites the live region only when its words change: screen readers announce every
     rewrite, and a poll that brings no news must stay silent. */
  function setStatus(text, progress) {
    var box = $("run-status");
    var current = box.querySelector("progress");
    if (progress && current && box.dataset.text === text) {
      current.max = progress.max;
      if (progress.hasAttribute("value")) { current.value = progress.value; }
      return;
    }
    box.dataset.text = text || "";
    clear(box);
    if (text) { box.appendChild(el("span", text)); }
    if (progress) { box.appendChild(progress); }
  }

  function renderRun(run) {
    if (run.status === "queued") {
      setStatus("Waiting to start…", indeterminate());
    } else if (run.status === "running") {
      var p = run.progress;
      var bar = indeterminate();
      var text = stepText(p.step) + "…";
      if (p.total) {
        bar.max = p.total;
        bar.value = p.done;
        text = stepText(p.step) + ": " + p.done.toLocaleString() + " of " +
          p.total.toLocaleString() + "…";
      } else if (p.done) {
        text = stepText(p.step) + ": " + p.done.toLocaleString() + " so far…";
      }
      setStatus(text, bar);
    } else if (run.status === "succeeded") {
      setStatus("");
      var box = $("run-status");
      box.appendChild(el("span", "Refresh succeeded. ", "ok"));
      box.appendChild(el("span", summary(run, true)));
    } else {
      setStatus("Refresh failed.");
      var error = run.error || { code: "refresh_failed", message: "" };
      showRunError(error.code, error.message);
    }
  }

  function indeterminate() {
    var bar = el("progress");
    bar.setAttribute("aria-label", "Refresh progress");
    return bar;
  }

  var FIXES = {
    source_failed: "Check the connection in step 2, then refresh again.",
    source_data_invalid: "Fix the data or the mapping named above, then refresh again.",
    write_failed: "Check that you can still edit the spreadsheet, then refresh again.",
    template_invalid: "Choose another template, or report the problem to your administrator.",
    settings_invalid: "Correct the report settings named above.",
    secret_unreadable: "Reconnect the source in step 2: its stored credentials can no " +
      "longer be read.",
    interrupted: "The service restarted; refresh again.",
    google_reauthorization_needed: "Allow sheets-sync to write to Google Sheets again, then " +
      "refresh.",
    internal_error: "Try again; if it keeps failing, tell your administrator the time it " +
      "happened.",
    network: ""
  };

  function showRunError(code, message) {
    var box = $("run-error");
    clear(box);
    box.appendChild(el("p", message || "The refresh failed."));
    var fix = FIXES[code];
    if (fix) { box.appendChild(el("p", fix)); }
    if (code === "google_reauthorization_needed") { offerGoogleAccess(box); }
    show(box, true);
  }

  function rowsRead(run) {
    var total = 0;
    Object.keys(run.row_counts || {}).forEach(function (source) {
      var tables = run.row_counts[source];
      Object.keys(tables).forEach(function (table) { total += tables[table]; });
    });
    return total;
  }

  function summary(run, withLocation) {
    var parts = [];
    if (run.seconds !== null && run.seconds !== undefined) {
      parts.push(run.seconds.toFixed(1) + " s");
    }
    parts.push(rowsRead(run).toLocaleString() + " rows read");
    if (run.warnings) {
      parts.push(run.warnings + (run.warnings === 1 ? " data warning" : " data warnings") +
        " (see the sync-status tab)");
    }
    if (withLocation && LOCAL && run.location) { parts.push("written to " + run.location); }
    return parts.join(" · ") + ".";
  }

  var STATUS_WORDS = { queued: "Waiting", running: "Running", succeeded: "Succeeded",
                       failed: "Failed" };

  function when(iso) {
    if (!iso) { return ""; }
    return new Date(iso).toLocaleString(undefined, {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"
    });
  }

  /* Show the last runs; ``resume`` picks up a refresh still in progress (e.g. after reopening). */
  function loadHistory(resume) {
    var reportId = state.reportId;
    return call("runs", { report_id: reportId }, undefined, "?limit=10").then(function (data) {
      if (state.reportId !== reportId) { return; }
      var list = $("history");
      clear(list);
      data.runs.forEach(function (run) {
        var item = el("li");
        var words = STATUS_WORDS[run.status] || run.status;
        item.appendChild(el("span", when(run.created_at) + " · " +
          (run.trigger === "schedule" ? "scheduled" : "by hand"), "when"));
        item.appendChild(el("span", words,
          run.status === "failed" ? "failed" : run.status === "succeeded" ? "ok" : ""));
        if (run.status === "succeeded") { item.appendChild(el("span", " · " + summary(run))); }
        if (run.status === "failed" && run.error) {
          item.appendChild(el("span", ": " + run.error.message));
        }
        list.appendChild(item);
      });
      show($("history-empty"), data.runs.length === 0);
      var active = data.runs.filter(function (r) {
        return r.status === "queued" || r.status === "running";
      })[0];
      if (resume && active) { follow(active); }
      if (!active && !state.polling) { $("refresh-button").disabled = false; }
    });
  }

  // ---- schedule editor ---------------------------------------------------------------------

  function fillTimeZones() {
    var select = $("schedule-timezone");
    var mine = browserTimeZone();
    var zones = [];
    try { zones = Intl.supportedValuesOf("timeZone"); } catch (err) { zones = []; }
    if (zones.indexOf(mine) < 0) { zones = [mine].concat(zones); }
    if (zones.indexOf("UTC") < 0) { zones.push("UTC"); }
    zones.forEach(function (zone) {
      var option = el("option", zone.replace(/_/g, " "));
      option.value = zone;
      select.appendChild(option);
    });
    select.value = mine;
  }

  function frequency() {
    var checked = document.querySelector("input[name=frequency]:checked");
    return checked ? checked.value : "daily";
  }

  function onFrequencyChange() {
    var f = frequency();
    show($("schedule-weekday-row"), f === "weekly");
    show($("schedule-time-row"), f !== "hourly");
    show($("schedule-minute-row"), f === "hourly");
  }

  /* The list endpoint answers 200 with or without a schedule, so no 404 shows in consoles. */
  function loadSchedule() {
    if (!SCHEDULES) { return Promise.resolve(); }
    var reportId = state.reportId;
    return call("schedules").then(function (data) {
      if (state.reportId !== reportId) { return; }
      renderSchedule(data.schedules.filter(function (s) {
        return s.report_id === reportId;
      })[0] || null);
    }).catch(function (err) {
      $("schedule-state").textContent = err.message;
    });
  }

  function renderSchedule(schedule) {
    state.schedule = schedule;
    show($("schedule-pause"), Boolean(schedule));
    show($("schedule-delete"), Boolean(schedule));
    var stateText = $("schedule-state");
    if (!schedule) {
      stateText.textContent = "Not scheduled: this report refreshes only when you click.";
      return;
    }
    var radio = document.querySelector("input[name=frequency][value=" + schedule.frequency + "]");
    if (radio) { radio.checked = true; }
    if (schedule.time) { $("schedule-time").value = schedule.time.slice(0, 5); }
    if (schedule.minute !== null && schedule.minute !== undefined) {
      $("schedule-minute").value = String(schedule.minute);
    }
    if (schedule.weekday) { $("schedule-weekday").value = schedule.weekday; }
    if (schedule.timezone) { $("schedule-timezone").value = schedule.timezone; }
    onFrequencyChange();
    $("schedule-pause").textContent = schedule.paused ? "Resume" : "Pause";
    var text = schedule.paused ?
      (schedule.paused_reason || "Paused.") :
      "Next refresh: " + (schedule.next_run_at ? when(schedule.next_run_at) : "soon") + ".";
    stateText.textContent = text;
  }

  /* Exactly the fields the chosen frequency takes, so one body both creates and changes. */
  function schedulePayload() {
    var f = frequency();
    var payload = { frequency: f, timezone: $("schedule-timezone").value };
    if (f === "hourly") {
      payload.minute = Math.max(0, Math.min(59, Math.round(Number($("schedule-minute").value))));
    } else {
      payload.time = $("schedule-time").value;
    }
    if (f === "weekly") { payload.weekday = $("schedule-weekday").value; }
    return payload;
  }

  function onScheduleSave(event) {
    event.preventDefault();
    var minute = Number($("schedule-minute").value);
    if (frequency() === "hourly" && !(minute >= 0 && minute <= 59)) {
      $("schedule-state").textContent = "Enter the minutes past the hour, from 0 to 59.";
      $("schedule-minute").focus();
      return;
    }
    if (frequency() !== "hourly" && !$("schedule-time").value) {
      $("schedule-state").textContent = "Enter the time of day to refresh at.";
      $("schedule-time").focus();
      return;
    }
    $("schedule-state").textContent = "Saving…";
    var name = state.schedule ? "changeSchedule" : "createSchedule";
    call(name, { report_id: state.reportId }, schedulePayload()).then(function (schedule) {
      renderSchedule(schedule);
      $("schedule-state").textContent = "Saved. " + $("schedule-state").textContent;
    }).catch(function (err) {
      $("schedule-state").textContent = err.message;
    });
  }

  function onSchedulePause() {
    var action = state.schedule && state.schedule.paused ? "resume" : "pause";
    call(action + "Schedule", { report_id: state.reportId }).then(renderSchedule).catch(function (err) {
      $("schedule-state").textContent = err.message;
    });
  }

  function onScheduleDelete() {
    call("deleteSchedule", { report_id: state.reportId }).then(function () {
      renderSchedule(null);
      $("schedule-state").textContent = "Automatic refresh turned off.";
    }).catch(function (err) {
      $("schedule-state").textContent = err.message;
    });
  }

  // ---- wiring ------------------------------------------------------------------------------

  function onDevSignIn(event) {
    event.preventDefault();
    var value = $("dev-token").value.trim();
    if (!value) { $("dev-token").focus(); return; }
    state.token = value;
    $("dev-token").value = "";
    start();
  }

  function wire() {
    $("dev-form").addEventListener("submit", onDevSignIn);
    $("filter-audience").addEventListener("change", function () { loadTemplates(false); });
    $("filter-cadence").addEventListener("change", function () { loadTemplates(false); });
    $("connection-type").addEventListener("change", onTypeChange);
    $("connect-form").addEventListener("submit", onConnect);
    $("upload-button").addEventListener("click", onUpload);
    Array.prototype.slice.call(document.querySelectorAll("input[name=hubspot-auth]"))
      .forEach(function (radio) { radio.addEventListener("change", onTypeChange); });
    Array.prototype.slice.call(document.querySelectorAll("input[name=where]"))
      .forEach(function (radio) { radio.addEventListener("change", prepareCopyForm); });
    window.addEventListener("focus", onReturn);
    $("google-allow").addEventListener("click", onGoogleAllow);
    $("google-revoke").addEventListener("click", onGoogleRevoke);
    $("copy-title").addEventListener("input", function () {
      $("copy-title").dataset.auto = "false";
    });
    $("copy-form").addEventListener("submit", onCopy);
    $("report-select").addEventListener("change", function () {
      selectReport($("report-select").value);
    });
    $("refresh-button").addEventListener("click", onRefresh);
    $("delete-report").addEventListener("click", onDeleteReport);
    $("delete-report").addEventListener("blur", function () {
      delete $("delete-report").dataset.armed;
      $("delete-report").textContent = "Delete this report";
    });
    Array.prototype.slice.call(document.querySelectorAll("input[name=frequency]"))
      .forEach(function (radio) { radio.addEventListener("change", onFrequencyChange); });
    $("schedule-form").addEventListener("submit", onScheduleSave);
    $("schedule-pause").addEventListener("click", onSchedulePause);
    $("schedule-delete").addEventListener("click", onScheduleDelete);
    fillTimeZones();
    onFrequencyChange();
    onTypeChange();
    $("schedule-fields").disabled = !SCHEDULES;
    show($("schedule-unavailable"), !SCHEDULES);
  }

  wire();
  window.addEventListener("message", onMessage);
  readFragment();
  if (state.token) {
    start();
  } else if (FRAMED) {
    // The add-on shell answers this with the token (it checks that we are its backend).
    window.parent.postMessage({ type: "sheets-sync:ready" }, "*");
    setTimeout(function () { if (!state.token) { signedOut(); } }, 15000);
  } else {
    signedOut();
  }
})();
