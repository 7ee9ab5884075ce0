// fleetlab never lets Puppeteer download a browser: the machines it runs on reach only the
// npm registry. Tests drive the system's Chromium (see test/e2e/browser.ts).
module.exports = { skipDownload: true };
