// Creates a college room in the admin web in headless Chromium, as a room manager: first
// linked to a college they do not manage (refused, and the page says why), then to their own.
// Prints a JSON line of what it saw.
// Usage: node room_create.mjs LINK BASE_URL ADDRESS OWNER SHOT_DIR
import { chromium } from 'playwright-core';
import path from 'node:path';

const [link, base, address, owner, shots] = process.argv.slice(2);
const seen = {};
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.setDefaultTimeout(10000);
  await page.goto(link);
  await page.waitForURL(base + '/');
  await page.goto(base + '/rooms');
  await page.getByRole('link', { name: 'Create a room' }).click();
  await page.waitForURL(base + '/rooms/new');
  await page.getByLabel('Address').fill(address);
  await page.getByLabel('Name', { exact: true }).fill('Trinity JCR');
  await page.getByLabel('Description').fill('The junior common room of Trinity');
  await page.getByLabel('Linked to').fill('inst:KINGS');
  await page.getByLabel('Members only').selectOption('1');
  await page.getByLabel('Owners').fill(owner);
  await page.getByRole('button', { name: 'Create room' }).click();
  seen.refused = await page.locator('p.refused').innerText();
  await page.screenshot({ path: path.join(shots, 'room-create-refused.png'), fullPage: true });
  await page.getByLabel('Linked to').fill('inst:TRIN');
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.waitForURL(/done=create/);
  seen.created = await page.locator('p.notice').first().innerText();
  seen.heading = await page.locator('p.big').innerText();
  await page.screenshot({ path: path.join(shots, 'room-created.png'), fullPage: true });
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
