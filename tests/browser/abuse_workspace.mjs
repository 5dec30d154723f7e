// The abuse staff's complaint walk-through in headless Chromium (/usr/bin/chromium via
// playwright-core), one scenario per run; prints a JSON line of what it saw.
//   node abuse_workspace.mjs staff BASE_URL SHOT_DIR USER_JID CASE
//     sign in with Raven; find the message by words and user; open its context (a retracted
//     message's original); download the evidence bundle; ban the user; place a hold.
//   node abuse_workspace.mjs auditor BASE_URL SHOT_DIR USER_JID CASE
//     sign in with Raven as an auditor and read the case's trail.
import { chromium } from 'playwright-core';
import path from 'node:path';

const [scenario, base, shots, user, caseRef] = process.argv.slice(2);
const seen = {};

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

async function signInWithRaven(page) {
  await page.goto(base + '/');
  await page.getByRole('link', { name: 'Sign in with Raven' }).click();
  await page.waitForURL(base + '/');
  seen.header = await page.locator('header').innerText();
}

const scenarios = {
  async staff(page) {
    await signInWithRaven(page);
    // 1. Search: words and user, under the case reference.
    await page.getByRole('link', { name: 'Search the log' }).click();
    await page.getByLabel('Case reference', { exact: true }).fill(caseRef);
    await page.getByLabel('Words', { exact: true }).fill('cretin');
    await page.getByLabel('User', { exact: true }).fill(user);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/abuse\?case=/);
    seen.results = await page.locator('table.log').innerText();
    await shot(page, 'abuse-search');
    // 2. Context of the retracted message.
    await page.locator('tr.retracted').getByRole('link', { name: 'Context' }).click();
    await page.waitForURL(/\/abuse\/context\?/);
    seen.context = await page.locator('table.log').innerText();
    seen.retractedRow = await page.locator('tr.anchor.retracted').innerText();
    seen.links = await page.locator('ul.links').innerText();
    await shot(page, 'abuse-context');
    // 3. Export the evidence from the search results.
    await page.goBack();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the evidence bundle' }).click(),
    ]);
    seen.download = download.suggestedFilename();
    await download.saveAs(path.join(shots, 'evidence.tar'));
    // Act: ban the user from every room.
    await page.getByRole('link', { name: 'Bans', exact: true }).click();
    await page.getByLabel('User or domain').fill(user);
    await page.getByLabel('Reason').fill('harassment in the lobby');
    await page.getByLabel('Case reference', { exact: true }).fill(caseRef);
    await page.getByRole('button', { name: 'Ban from every room' }).click();
    await page.waitForURL(/done=placed/);
    seen.banned = await page.locator('p.notice').innerText();
    await shot(page, 'abuse-bans');
    // One of our own domains is refused, with the reason.
    await page.getByLabel('User or domain').fill(user.split('@')[1]);
    await page.getByLabel('Reason').fill('no');
    await page.getByRole('button', { name: 'Ban from every room' }).click();
    seen.domainRefused = await page.locator('p.refused').innerText();
    // Keep the evidence: a hold on the user, previewed first.
    await page.getByRole('link', { name: 'Legal holds' }).click();
    await page.getByLabel('JID').fill(user);
    await page.getByLabel('Reason').fill('complaint ' + caseRef);
    await page.getByLabel('Case reference', { exact: true }).fill(caseRef);
    await page.getByRole('button', { name: 'Check what it would keep' }).click();
    seen.preview = await page.locator('main p.notice').innerText();
    await shot(page, 'abuse-hold-preview');
    await page.getByRole('button', { name: 'Place the hold' }).click();
    await page.waitForURL(/done=placed/);
    seen.held = await page.locator('p.notice').innerText();
    await shot(page, 'abuse-holds');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(base + '/sign-in');
  },
  async auditor(page) {
    await signInWithRaven(page);
    seen.nav = await page.locator('header').innerText();
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Case reference').fill(caseRef);
    await page.getByRole('button', { name: 'Show this case only' }).click();
    await page.waitForURL(/\/audit\?case=/);
    seen.trail = await page.locator('table.audit').innerText();
    await shot(page, 'abuse-audit');
  },
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, acceptDownloads: true });
  page.setDefaultTimeout(10000);
  await scenarios[scenario](page);
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
