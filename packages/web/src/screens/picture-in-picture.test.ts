import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pipKindOf } from './picture-in-picture.ts';

test('Document Picture-in-Picture is preferred, then the video element’s own; with neither the control is hidden', () => {
  const requestWindow = async () => ({});
  assert.equal(pipKindOf({ documentPictureInPicture: { requestWindow }, pictureInPictureEnabled: true, videoCanPip: true }), 'document');
  // Chromium with Document PiP but element PiP turned off by policy: the window still works.
  assert.equal(pipKindOf({ documentPictureInPicture: { requestWindow }, pictureInPictureEnabled: false, videoCanPip: true }), 'document');
  // Firefox and Safari: the element's own.
  assert.equal(pipKindOf({ pictureInPictureEnabled: true, videoCanPip: true }), 'element');
  // Turned off by the person or a policy, or a browser without the method (Firefox on Android).
  assert.equal(pipKindOf({ pictureInPictureEnabled: false, videoCanPip: true }), 'none');
  assert.equal(pipKindOf({ pictureInPictureEnabled: undefined, videoCanPip: false }), 'none');
  assert.equal(pipKindOf({ documentPictureInPicture: {}, pictureInPictureEnabled: undefined, videoCanPip: false }), 'none', 'an object without requestWindow is not the API');
});
