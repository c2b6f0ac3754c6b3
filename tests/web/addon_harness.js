// Runs the add-on's Code.gs in Node with stand-ins for the Apps Script services it uses.
// UrlFetchApp.fetch makes real HTTP requests (synchronously, as in Apps Script) to the service
// under test: the script is configured with scenario.backend (https, as Code.gs requires) and
// the harness sends those requests to scenario.server instead. Usage: node addon_harness.js Code.gs '<scenario JSON>'; prints what happened.
"use strict";
const vm = require("vm");
const fs = require("fs");
const { execFileSync } = require("child_process");

const scenario = JSON.parse(process.argv[3]);
const log = { fetches: [], toasts: [], alerts: [], menu: [], sleeps: 0 };

function httpSync(url, init) {
  const child =
    "const [u, i] = JSON.parse(process.argv[1]);" +
    "fetch(u, i).then(async r => process.stdout.write(" +
    "JSON.stringify({status: r.status, body: await r.text()})));";
  return JSON.parse(execFileSync(process.execPath, ["-e", child, JSON.stringify([url, init])]));
}

const menu = {
  addItem(label, fn) { log.menu.push([label, fn]); return menu; },
  addToUi() { return menu; }
};
const sandbox = {
  PropertiesService: {
    getScriptProperties: () => ({ getProperty: (k) => scenario.properties[k] || null })
  },
  ScriptApp: { getIdentityToken: () => scenario.token },
  SpreadsheetApp: {
    getActiveSpreadsheet: () => ({
      getId: () => scenario.spreadsheetId,
      toast: (message) => log.toasts.push(message)
    }),
    getUi: () => ({ alert: (message) => log.alerts.push(message), createAddonMenu: () => menu })
  },
  UrlFetchApp: {
    fetch: (url, options) => {
      const headers = Object.assign({}, options.headers);
      if (options.contentType) { headers["Content-Type"] = options.contentType; }
      log.fetches.push({ url: url, method: options.method, headers: headers });
      const target = url.startsWith(scenario.backend) ?
        scenario.server + url.slice(scenario.backend.length) : url;
      const answer = httpSync(target, {
        method: options.method.toUpperCase(), headers: headers, body: options.payload,
        redirect: options.followRedirects === false ? "manual" : "follow"
      });
      return { getResponseCode: () => answer.status, getContentText: () => answer.body };
    }
  },
  Utilities: {
    sleep: (ms) => {
      log.sleeps += 1;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(ms, 1000));
    }
  }
};
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), sandbox, { filename: "Code.gs" });
try {
  sandbox[scenario.call]();
  log.outcome = "returned";
} catch (err) {
  log.outcome = "threw";
  log.error = err.message;
  log.code = err.code || null;
}
process.stdout.write(JSON.stringify(log));
