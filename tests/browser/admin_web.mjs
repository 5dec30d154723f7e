// Drives the admin web in headless Chromium (/usr/bin/chromium via playwright-core) through
// one scenario and prints a JSON line of what it saw; the pytest file around it starts the
// servers and checks the result. Usage: node admin_web.mjs SCENARIO BASE_URL SHOT_DIR
import { chromium } from 'playwright-core';
import path from 'node:path';

const [scenario, base, shots] = process.argv.slice(2);
const seen = {};

async function signInWithRaven(page) {
  await page.goto(base + '/');
  seen.redirectedTo = new URL(page.url()).pathname;
  await page.getByRole('link', { name: 'Sign in with Raven' }).click();
  // Raven (the test WLS) sends the browser back; the sign-in page moves on to the dashboard.
  await page.waitForURL(base + '/');
  seen.header = await page.locator('header').innerText();
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

const scenarios = {
  async admin(page) {
    await signInWithRaven(page);
    seen.dashboard = await page.locator('main').innerText();
    await shot(page, 'dashboard');
    await page.goto(base + '/directory/sync');
    await page.getByLabel('CRSid').fill('zz999');
    await page.getByLabel('Note').fill('asked by e-mail');
    await page.getByRole('button', { name: 'Leave out of the directory' }).click();
    await page.waitForURL(/done=opted-out/);
    seen.optedOut = await page.locator('p.notice').first().innerText();
    seen.optOuts = await page.locator('main table').last().innerText();
    await shot(page, 'directory-sync');
    await page.getByRole('button', { name: 'Lift opt-out of zz999' }).click();
    await page.waitForURL(/done=opted-in/);
    await page.getByRole('link', { name: 'Directory' }).click();
    await page.getByLabel('Find a person').fill('quent');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/directory\?q=quent/);
    seen.directory = await page.locator('main table').innerText();
    await shot(page, 'directory');
    await page.getByRole('link', { name: 'Rooms', exact: true }).click();
    seen.rooms = await page.locator('main table').innerText();
    await shot(page, 'rooms');
    await page.getByRole('link', { name: 'last message' }).click();
    await page.waitForURL(/sort=activity/);
    seen.byActivity = await page.locator('main table').innerText();
    await shot(page, 'rooms-by-last-message');
    await page.getByRole('link', { name: 'Rooms', exact: true }).click();
    await page.getByRole('link', { name: 'trinity@conference.cam.example' }).click();
    seen.room = await page.locator('main').innerText();
    await shot(page, 'room');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(base + '/sign-in');
    await page.goto(base + '/rooms');
    seen.afterSignOut = new URL(page.url()).pathname;
  },
  async manager(page) {
    await signInWithRaven(page);
    await page.getByRole('link', { name: 'Rooms', exact: true }).click();
    seen.rooms = await page.locator('main').innerText();
    await shot(page, 'rooms-manager');
    const response = await page.goto(base + '/audit');
    seen.auditStatus = response.status();
    seen.audit = await page.locator('main').innerText();
    await shot(page, 'refused');
  },
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.setDefaultTimeout(10000);
  await scenarios[scenario](page);
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
