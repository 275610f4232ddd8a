// End-to-end: the demo book served by `arrears demo --serve`, worked in headless Chromium as a
// member of staff and as a borrower on a phone-sized screen. Screenshots go to $SHOTS.
//
// Environment: BASE (the server), CHROMIUM (the browser), STAFF_NAME, STAFF_PASSWORD, PHONE (a
// borrower's phone on file), SMS_FILE (where the demo's SMS channel writes), SHOTS.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const [BASE, SHOTS] = [env('BASE'), env('SHOTS')];
mkdirSync(SHOTS, { recursive: true });

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

/** The newest login code the SMS channel was given for `phone`. */
function codeFor(phone) {
  const lines = readFileSync(env('SMS_FILE'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const mine = lines.filter((m) => m.to === phone && m.id.startsWith('login-'));
  check(mine.length > 0, `a login code was texted to ${phone}`);
  const code = mine[mine.length - 1].body.match(/(?<!\d)\d{6}(?!\d)/);
  return code[0];
}

const browser = await chromium.launch({
  executablePath: env('CHROMIUM'),
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  // Staff: log in, see the console, log out.
  const staff = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await staff.goto(`${BASE}/console?lang=en`);
  check(staff.url().includes('/login'), 'the console sends a visitor to the login page');
  await staff.fill('input[name=name]', env('STAFF_NAME'));
  await staff.fill('input[name=password]', 'not-the-password');
  await staff.click('button[type=submit]');
  check((await staff.textContent('body')).includes('The name or password is wrong'), 'a wrong password is refused');
  await staff.fill('input[name=name]', env('STAFF_NAME'));
  await staff.fill('input[name=password]', env('STAFF_PASSWORD'));
  await staff.click('button[type=submit]');
  await staff.waitForURL('**/console**');
  const console_ = await staff.textContent('body');
  check(console_.includes('Logged in') && console_.includes(env('STAFF_NAME')), 'the console names who is logged in');
  check(console_.includes('paid-off') && console_.includes('M0'), 'the console shows the book by bucket');
  await staff.screenshot({ path: `${SHOTS}/console.png`, fullPage: true });
  await staff.click('form[action^="/logout"] button');
  await staff.waitForURL('**/login**');
  await staff.goto(`${BASE}/console`);
  check(staff.url().includes('/login'), 'after logging out the console is closed');

  // A borrower on a phone: the code by SMS, their loans, the explanation, a what-if, the certificate.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true, locale: 'zh-CN' });
  const me = await phone.newPage();
  await me.goto(`${BASE}/portal`);
  check(me.url().includes('/portal/login'), 'the portal sends a visitor to its login page');
  await me.fill('input[name=phone]', env('PHONE'));
  await me.click('button[type=submit]');
  await me.waitForSelector('input[name=code]');
  await me.fill('input[name=code]', codeFor(env('PHONE')));
  await me.click('button[type=submit]');
  await me.waitForURL('**/portal?**');
  const loans = await me.textContent('body');
  check(loans.includes('我的借款'), 'the borrower sees My loans in Chinese');
  await me.screenshot({ path: `${SHOTS}/portal.png`, fullPage: true });
  await me.click('text=看懂我的借款');
  await me.waitForURL('**/portal/explain**');
  const explained = await me.textContent('body');
  check(explained.includes('宽限期') && explained.includes('罚息'), 'each term is explained');
  await me.screenshot({ path: `${SHOTS}/explain.png`, fullPage: true });
  await me.goBack();
  const download = me.waitForEvent('download');
  await me.click('text=下载结清证明（PDF）');
  const pdf = await download;
  const saved = `${SHOTS}/settlement.pdf`;
  await pdf.saveAs(saved);
  check(readFileSync(saved).subarray(0, 5).toString() === '%PDF-', 'the settlement certificate downloads as a PDF');
  const whatIf = me.locator('a', { hasText: '如果我还一笔钱' });
  if (await whatIf.count() > 0) {
    await whatIf.first().click();
    await me.fill('input[name=amount]', '100.00');
    await me.click('button[type=submit]');
    check((await me.textContent('body')).includes('如您于'), 'the what-if works a payment out');
    await me.screenshot({ path: `${SHOTS}/whatif.png`, fullPage: true });
  }
  // The public check of the certificate's code, in English.
  const check_ = await browser.newPage();
  await check_.goto(`${BASE}/verify?lang=en`);
  check((await check_.textContent('body')).includes('verification code'), 'the public check has its form');
} finally {
  await browser.close();
}
console.log('browser suite passed');
