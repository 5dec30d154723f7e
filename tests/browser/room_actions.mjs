// Changes a live room from the admin web in headless Chromium: signs in with a one-time link,
// saves a new room name with the configuration form, then destroys the room with a reason.
// Prints a JSON line of what it saw. Usage: node room_actions.mjs LINK BASE_URL ROOM SHOT_DIR
import { chromium } from 'playwright-core';
import path from 'node:path';

const [link, base, room, shots] = process.argv.slice(2);
const seen = {};
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.setDefaultTimeout(10000);
  await page.goto(link);
  await page.waitForURL(base + '/');
  await page.goto(base + '/rooms/' + room);
  seen.occupants = await page.locator('table').first().innerText();
  await page.screenshot({ path: path.join(shots, 'room-live.png'), fullPage: true });
  await page.locator('[name="muc#roomconfig_roomname"]').fill('Junior Common Room');
  await page.getByRole('button', { name: 'Save configuration' }).click();
  await page.waitForURL(/done=configure/);
  seen.saved = await page.locator('p.notice').innerText();
  await page.getByLabel('Reason', { exact: true }).last().fill('closing for the summer');
  await page.getByRole('button', { name: 'Destroy ' + room }).click();
  await page.waitForURL(/\/rooms\?destroyed=/);
  seen.destroyed = await page.locator('p.notice').innerText();
  await page.screenshot({ path: path.join(shots, 'room-destroyed.png'), fullPage: true });
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
