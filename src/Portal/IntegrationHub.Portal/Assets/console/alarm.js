// Attention for red and orange alerts nobody has acknowledged: their rows flash (board.js), the page title and the
// favicon count them, and a new one sounds, once the officer has armed the sound. Browsers refuse sound until the page
// has had a gesture, so the sound is armed by a button at the start of a shift, and the button always says whether it
// is on. The tones are made in the page (Web Audio): no sound file is fetched.
import { t } from '../portal.js';
import { alerts, needsAttention, onChange } from './state.js';

const button = document.getElementById('sound');
const baseTitle = document.title;
const icon = document.querySelector('link[rel=icon]');
const baseIcon = icon?.href;
let audio = null;
let wanted = localStorage.getItem('console.sound') === 'on';

const soundOn = () => audio?.state === 'running';

function showSound() {
  const state = soundOn() ? 'on' : wanted ? 'pending' : 'off';
  button.dataset.state = state;
  button.setAttribute('aria-pressed', String(state === 'on'));
  button.textContent = t(state === 'on' ? 'Console.SoundOn' : state === 'pending' ? 'Console.SoundPending' : 'Console.SoundOff');
}

/** Starts the page's audio; must run inside a user gesture, or the browser keeps it suspended. */
async function arm() {
  audio ??= new AudioContext();
  audio.onstatechange = showSound;
  await audio.resume();
  wanted = true;
  localStorage.setItem('console.sound', 'on');
  showSound();
  if (soundOn()) tones([[660, 0.12]]); // a short chirp: the officer hears that it works
}

async function disarm() {
  wanted = false;
  localStorage.setItem('console.sound', 'off');
  await audio?.suspend();
  showSound();
}

/** Plays tones one after another: [frequency in Hz, seconds]. */
function tones(sequence) {
  let at = audio.currentTime + 0.02;
  for (const [frequency, seconds] of sequence) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + seconds + 0.02);
    at += seconds + 0.08;
  }
}

const patterns = {
  red: [[988, 0.18], [740, 0.18], [988, 0.18], [740, 0.18], [988, 0.18], [740, 0.18]],
  orange: [[784, 0.2], [587, 0.2], [784, 0.2]],
};

/** Sounds a new red or orange alert, if the sound is armed. */
export function sound(level) {
  if (soundOn() && patterns[level]) tones(patterns[level]);
}

/** The count in the favicon: a red disc with the number, drawn in the page. */
function badge(count) {
  if (!icon) return;
  if (!count) {
    icon.href = baseIcon;
    return;
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  g.fillStyle = '#c92a2a';
  g.beginPath();
  g.arc(32, 32, 31, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#fff';
  g.font = 'bold 40px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(count > 99 ? '99+' : String(count), 32, 35);
  icon.href = canvas.toDataURL('image/png');
}

function attention() {
  const count = [...alerts.values()].filter(needsAttention).length;
  document.title = count ? `(${count}) ${t('Console.TitleAttention', count)} · ${baseTitle}` : baseTitle;
  document.documentElement.dataset.attention = String(count);
  badge(count);
  const tile = document.querySelector('#level-counts [data-level=unacknowledged] .count');
  if (tile) tile.textContent = String(count);
}

export function startAlarm() {
  button.addEventListener('click', () => (soundOn() ? disarm() : arm()));
  // Armed on an earlier shift: the browser still wants a gesture, so the first click or key anywhere arms it.
  const resume = () => {
    if (wanted && !soundOn()) arm();
  };
  document.addEventListener('pointerdown', resume, { capture: true });
  document.addEventListener('keydown', resume, { capture: true });
  showSound();
  onChange(attention);
  // A red alert still unacknowledged sounds again every minute, so that it is not lost in a noisy room.
  setInterval(() => {
    if ([...alerts.values()].some(a => a.level === 'red' && needsAttention(a))) sound('red');
  }, 60000);
}
