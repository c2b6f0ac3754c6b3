/**
 * sheets-sync add-on for Google Sheets: the menu, the sidebar and "Refresh now".
 *
 * Everything happens in the sheets-sync backend. This script only shows its sidebar and calls
 * its API as the user: every request carries the user's Google identity token
 * (ScriptApp.getIdentityToken(), scopes openid and userinfo.email) as a Bearer token, which the
 * backend verifies. The backend's address is the script property SHEETS_SYNC_BACKEND_URL.
 */

var BACKEND_URL_PROPERTY = 'SHEETS_SYNC_BACKEND_URL';

/** The backend operations this script calls ("METHOD /path"); a test checks them. */
var ENDPOINTS = {
  reports: 'GET /api/reports',
  refresh: 'POST /api/reports/{report_id}/refresh',
  run: 'GET /api/runs/{run_id}'
};

// Apps Script stops a menu function after 6 minutes; follow a refresh for a part of that and
// leave the rest to the sidebar's history.
var REFRESH_FOLLOW_MS = 90 * 1000;
var REFRESH_POLL_MS = 3000;

/** Adds the add-on menu when a spreadsheet opens. */
function onOpen(e) {
  SpreadsheetApp.getUi()
    .createAddonMenu()
    .addItem('Open sidebar', 'showSidebar')
    .addItem('Refresh now', 'refreshNow')
    .addItem('Schedule', 'showSchedule')
    .addToUi();
}

/** Adds the menu right after installation, without reopening the spreadsheet. */
function onInstall(e) {
  onOpen(e);
}

/** Menu: the sidebar with the gallery, connections, refresh and history. */
function showSidebar() {
  showSidebarView_('');
}

/** Menu: the sidebar opened on the schedule editor. */
function showSchedule() {
  showSidebarView_('schedule');
}

function showSidebarView_(view) {
  var template = HtmlService.createTemplateFromFile('Sidebar');
  template.backendUrl = backendUrl_();
  template.view = view;
  var html = template.evaluate().setTitle('sheets-sync');
  SpreadsheetApp.getUi().showSidebar(html);
}

/**
 * Called by the sidebar shell (google.script.run): the user's identity token and the open
 * spreadsheet's id, handed to the backend's page by postMessage.
 */
function getSidebarSession() {
  return {
    token: ScriptApp.getIdentityToken(),
    spreadsheetId: SpreadsheetApp.getActiveSpreadsheet().getId()
  };
}

/** Menu: refresh this spreadsheet's report now and report the outcome in a toast. */
function refreshNow() {
  var spreadsheet = SpreadsheetApp.getActiveSpreadsheet();
  var report = reportOf_(spreadsheet.getId());
  if (!report) {
    SpreadsheetApp.getUi().alert(
      'This spreadsheet has no sheets-sync report yet. Open the sidebar ' +
        '(Extensions > sheets-sync > Open sidebar) to choose a template first.'
    );
    return;
  }
  var run;
  try {
    run = callBackend_('refresh', { report_id: report.id });
  } catch (err) {
    if (err.code === 'refresh_in_progress') {
      spreadsheet.toast(err.message, 'sheets-sync');
      return;
    }
    throw err;
  }
  spreadsheet.toast('Refreshing ' + report.title + '...', 'sheets-sync', -1);
  var deadline = Date.now() + REFRESH_FOLLOW_MS;
  while ((run.status === 'queued' || run.status === 'running') && Date.now() < deadline) {
    Utilities.sleep(REFRESH_POLL_MS);
    run = callBackend_('run', { run_id: run.id });
  }
  spreadsheet.toast(runOutcome_(run), 'sheets-sync', 10);
}

function runOutcome_(run) {
  if (run.status === 'succeeded') {
    return 'Refreshed in ' + Math.round(run.seconds || 0) + ' s.';
  }
  if (run.status === 'failed') {
    return 'The refresh failed: ' + (run.error ? run.error.message : 'see the sidebar.');
  }
  return 'Still refreshing; the sidebar shows when it finishes.';
}

function reportOf_(spreadsheetId) {
  var reports = callBackend_('reports', {}).reports;
  for (var i = 0; i < reports.length; i++) {
    if (reports[i].spreadsheet_id === spreadsheetId) {
      return reports[i];
    }
  }
  return null;
}

/** Calls one of ENDPOINTS as the user; throws an Error carrying the backend's message. */
function callBackend_(name, params, payload) {
  var parts = ENDPOINTS[name].split(' ');
  var path = parts[1].replace(/\{(\w+)\}/g, function (_, key) {
    return encodeURIComponent(params[key]);
  });
  var options = {
    method: parts[0].toLowerCase(),
    headers: { Authorization: 'Bearer ' + ScriptApp.getIdentityToken() },
    muteHttpExceptions: true,
    followRedirects: false
  };
  if (payload !== undefined) {
    options.contentType = 'application/json';
    options.payload = JSON.stringify(payload);
  }
  var response = UrlFetchApp.fetch(backendUrl_() + path, options);
  var status = response.getResponseCode();
  var body = null;
  try {
    body = JSON.parse(response.getContentText() || 'null');
  } catch (ignored) {
    body = null;
  }
  if (status >= 400) {
    var detail = body && body.error ? body.error : {};
    var error = new Error(detail.message || 'The sheets-sync service answered ' + status + '.');
    error.code = detail.code || 'http_' + status;
    throw error;
  }
  return body;
}

/** The backend's base URL from the script properties, without a trailing slash. */
function backendUrl_() {
  var value = PropertiesService.getScriptProperties().getProperty(BACKEND_URL_PROPERTY);
  if (!value || !/^https:\/\/[^\/?#]+/.test(value)) {
    throw new Error(
      'Set the script property ' + BACKEND_URL_PROPERTY + ' to the sheets-sync service ' +
        'address (https://...) in Project Settings > Script properties.'
    );
  }
  return value.replace(/\/+$/, '');
}
