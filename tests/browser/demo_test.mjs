// The demo page in headless Chromium, in both modes: search, pick three items, read the
// recommendations (never a picked item, each with its reasons), switch to "on this device" and
// check the page's WebAssembly runtime answers the same, with no request carrying the history.
// Saves a screenshot of each mode.
//   node demo_test.mjs URL SCREENSHOT_PREFIX [SEARCH]
import puppeteer from "puppeteer-core";

const [url, shots, search = ""] = process.argv.slice(2);
const fail = (message) => { console.error(`FAIL: ${message}`); process.exit(1); };
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const historyRequests = [];
  page.on("request", (request) => {
    if (request.url().includes("/v1/recommend")) historyRequests.push(request.url());
  });
  await page.goto(url, { waitUntil: "networkidle0" });
  await page.waitForSelector(".card");
  if (search) {
    await page.type("#search", search);
    await page.waitForFunction(
      (s) => [...document.querySelectorAll(".card .title")].every(
        (t) => t.textContent.toLowerCase().includes(s.toLowerCase())), {}, search);
  }
  const picked = await page.$$eval(".card", (cards) => cards.slice(0, 3).map((c) => c.dataset.id));
  if (picked.length < 3) fail(`only ${picked.length} items to pick`);
  for (const id of picked) {
    await page.click(`.card[data-id="${id}"]`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const readRecs = () => page.$$eval("#recs li", (rows) => rows.map((r) => ({
    id: r.dataset.id, hint: (r.querySelector(".hint") || {}).textContent || "" })));
  await page.waitForFunction(() => document.querySelectorAll("#recs li[data-id]").length === 10);
  const server = await readRecs();
  for (const r of server) if (picked.includes(r.id)) fail(`picked item ${r.id} recommended`);
  if (!server.some((r) => r.hint.startsWith("because you picked")))
    fail("no recommendation explains itself");
  await page.screenshot({ path: `${shots}-server.png`, fullPage: true });
  const sent = historyRequests.length;
  if (sent === 0) fail("server mode sent no recommend request");

  await page.click('input[value="device"]');
  await page.waitForFunction(() => document.getElementById("mode-note").textContent
    .includes("no request leaves the page"), { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById("model").textContent
    .includes("answering on this device"));
  await page.waitForFunction(() => document.querySelectorAll("#recs li[data-id]").length === 10);
  const device = await readRecs();
  const ids = (list) => list.map((r) => r.id).join(",");
  if (ids(device) !== ids(server)) fail(`device ${ids(device)} vs server ${ids(server)}`);
  // One more pick on the device: answered locally, no request with the history.
  const more = await page.$$eval(".card", (cards, p) =>
    cards.map((c) => c.dataset.id).find((id) => !p.includes(id)), picked);
  await page.click(`.card[data-id="${more}"]`);
  await page.waitForFunction((id) => ![...document.querySelectorAll("#recs li")]
    .some((r) => r.dataset.id === id), {}, more);
  if (historyRequests.length !== sent) fail("on-device mode sent the history to the server");
  await page.screenshot({ path: `${shots}-device.png`, fullPage: true });
  if (errors.length) fail(`page errors: ${errors.join("; ")}`);
  console.log(JSON.stringify({ picked, recommendations: server.length, same_in_both_modes: true,
                               screenshots: [`${shots}-server.png`, `${shots}-device.png`] }));
} finally {
  await browser.close();
}
