import { chromium } from '/work/wt-hands/node_modules/playwright-core/index.mjs';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox','--use-fake-device-for-media-stream','--use-fake-ui-for-media-stream'] });
const p = await b.newPage();
await p.setContent('<button id=b>x</button><video id=v autoplay muted playsinline></video>');
console.log(await p.evaluate(() => ({ dpip: 'documentPictureInPicture' in window, enabled: document.pictureInPictureEnabled, req: typeof HTMLVideoElement.prototype.requestPictureInPicture, ua: navigator.userAgent })));
await p.evaluate(async () => { const s = await navigator.mediaDevices.getUserMedia({video:true}); const v = document.getElementById('v'); v.srcObject = s; await v.play(); window.s=s;
  document.getElementById('b').onclick = async () => { try { if (window.documentPictureInPicture) { const w = await documentPictureInPicture.requestWindow({width:300,height:200}); window.r = 'doc ok ' + (!!w.document); } else window.r='no doc'; } catch (e) { window.r = 'doc err ' + e; }
   try { await document.getElementById('v').requestPictureInPicture(); window.r2 = 'el ok ' + (document.pictureInPictureElement?.id); } catch(e) { window.r2 = 'el err ' + e } };
});
await p.waitForTimeout(500);
await p.click('#b');
await p.waitForTimeout(1500);
console.log(await p.evaluate(() => [window.r, window.r2]));
await b.close();
