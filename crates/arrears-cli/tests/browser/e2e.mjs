// End-to-end: the demo book served by `arrears demo --serve`, worked in headless Chromium as a
// member of staff and as a borrower on a phone-sized screen. Screenshots go to $SHOTS.
//
// Environment: BASE (the server), CHROMIUM (the browser), AGENT_NAME and AGENT_PASSWORD,
// SUPERVISOR_NAME and SUPERVISOR_PASSWORD, HARDSHIP_NAME and HARDSHIP_PASSWORD (the demo's
// logins), PHONE (a borrower who paid a loan off), LATE_PHONE (a borrower who is late),
// SMS_FILE (where the demo's SMS channel writes), SHOTS.
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
/** Logs a member of staff in on a new page and returns it at the console. */
async function staffLogin(role) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${BASE}/console?lang=en`);
  check(page.url().includes('/login'), 'the console sends a visitor to the login page');
  await page.fill('input[name=name]', env(`${role}_NAME`));
  await page.fill('input[name=password]', env(`${role}_PASSWORD`));
  await page.click('button[type=submit]');
  await page.waitForURL('**/console**');
  check((await page.textContent('body')).includes(env(`${role}_NAME`)), `the console names the ${role.toLowerCase()}`);
  return page;
}

/** Logs a borrower in with the code texted to `phoneNumber`, on a phone-sized screen. */
async function borrowerLogin(phoneNumber) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${BASE}/portal`);
  check(page.url().includes('/portal/login'), 'the portal sends a visitor to its login page');
  await page.fill('input[name=phone]', phoneNumber);
  await page.click('button[type=submit]');
  await page.waitForSelector('input[name=code]');
  await page.fill('input[name=code]', codeFor(phoneNumber));
  await page.click('button[type=submit]');
  await page.waitForURL('**/portal?**');
  return page;
}

try {
  // A wrong password is refused.
  const stranger = await browser.newPage();
  await stranger.goto(`${BASE}/login?lang=en`);
  await stranger.fill('input[name=name]', env('AGENT_NAME'));
  await stranger.fill('input[name=password]', 'not-the-password');
  await stranger.click('button[type=submit]');
  check((await stranger.textContent('body')).includes('The name or password is wrong'), 'a wrong password is refused');

  // The agent: the work queue, a loan, a call (the policy pack decides), a hardship request.
  const agent = await staffLogin('AGENT');
  const console_ = await agent.textContent('body');
  check(console_.includes('paid-off') && console_.includes('M0'), 'the console shows the book by bucket');
  check(console_.includes('My work queue'), 'the agent has a work queue');
  await agent.screenshot({ path: `${SHOTS}/console.png`, fullPage: true });
  await agent.locator('table a[href^="/console/loans/"]').first().click();
  await agent.waitForURL('**/console/loans/**');
  const loanUrl = agent.url().split('?')[0];
  const loanPage = await agent.textContent('body');
  check(loanPage.includes('Schedule') && loanPage.includes('Communication record'), 'the loan page shows the loan');
  check(!/1[3-9]\d{9}/.test(loanPage), 'the loan page masks the phone');
  await agent.screenshot({ path: `${SHOTS}/loan.png`, fullPage: true });
  await agent.click('button:has-text("Call the debtor")');
  const called = await agent.textContent('body');
  check(called.includes('Allowed') || called.includes('Blocked by'), 'the call is checked against the policy pack');
  if (called.includes('Allowed')) {
    await agent.selectOption('select[name=outcome]', 'no-answer');
    await agent.click('button:has-text("Record the outcome")');
    check((await agent.textContent('body')).includes('Outcome recorded: no-answer'), 'the call outcome is recorded');
  }
  await agent.screenshot({ path: `${SHOTS}/call.png`, fullPage: true });
  await agent.goto(`${loanUrl}?lang=en`);
  const form = agent.locator('form[action*="/hardship"]');
  let filed = false;
  if (await form.count() > 0) {
    await form.locator('input[name=income]').fill('6000.00');
    await form.locator('input[name=expenses]').fill('3000.00');
    await form.locator('button').click();
    const answer = await agent.textContent('body');
    filed = answer.includes('Hardship request filed');
    check(filed || answer.includes('Not done: '), 'a hardship request is filed, or the rule that refuses it is named');
  }
  await agent.click('form[action^="/logout"] button');
  await agent.waitForURL('**/login**');
  await agent.goto(`${BASE}/console`);
  check(agent.url().includes('/login'), 'after logging out the console is closed');

  // The hardship officer proposes what the borrower can afford; the supervisor approves it and
  // posts a payment received by transfer.
  const officer = await staffLogin('HARDSHIP');
  await officer.goto(`${BASE}/console/hardship?lang=en`);
  if (filed) {
    await officer.locator('button:has-text("Propose")').first().click();
    check((await officer.textContent('body')).includes('proposed'), 'the officer proposes a relief');
  }
  const supervisor = await staffLogin('SUPERVISOR');
  await supervisor.goto(`${BASE}/console/hardship?lang=en`);
  if (filed) {
    await supervisor.locator('button:has-text("Approve")').first().click();
    check((await supervisor.textContent('body')).includes('approved'), 'a second person approves it');
  }
  await supervisor.screenshot({ path: `${SHOTS}/hardship-desk.png`, fullPage: true });
  // The dashboard: every chart drawn (ECharts renders to a canvas), the numbers as CSV.
  await supervisor.goto(`${BASE}/console/dashboard?lang=en`);
  const charts = await supervisor.locator('.chart').count();
  await supervisor.waitForFunction((n) => document.querySelectorAll('.chart canvas').length >= n, charts);
  check(charts >= 6, `the dashboard draws every one of its ${charts} charts`);
  await supervisor.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });
  const csvHref = await supervisor.locator('a[href*=".csv"]').first().getAttribute('href');
  const csv = await supervisor.request.get(`${BASE}${csvHref}`);
  check(csv.ok() && (await csv.text()).trim().split('\n').length > 1, `the numbers behind a chart download as CSV (${csvHref})`);
  await supervisor.goto(`${loanUrl}?lang=en`);
  await supervisor.fill('form[action*="/pay"] input[name=amount]', '1.00');
  await supervisor.click('form[action*="/pay"] button');
  check((await supervisor.textContent('body')).includes('Payment posted: 1.00'), 'the supervisor posts a payment');

  // A borrower on a phone: the code by SMS, their loans, the explanation, a what-if, the certificate.
  const me = await borrowerLogin(env('PHONE'));
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
  // A borrower who is late pays what is due from the portal.
  const late = await borrowerLogin(env('LATE_PHONE'));
  check((await late.textContent('body')).includes('逾期'), 'the late borrower is told the loan is late');
  await late.locator('form[action^="/portal/pay"] button').first().click();
  check((await late.textContent('body')).includes('已收到您的还款'), 'the borrower pays from the portal');
  await late.screenshot({ path: `${SHOTS}/paid.png`, fullPage: true });

  // The public check of the certificate's code, in English.
  const check_ = await browser.newPage();
  await check_.goto(`${BASE}/verify?lang=en`);
  check((await check_.textContent('body')).includes('verification code'), 'the public check has its form');
} finally {
  await browser.close();
}
console.log('browser suite passed');
