/**
 * A short two-tone beep for an incoming operator message (the site's `sounds` setting).
 * WebAudio, so no audio file to download. Browsers keep an AudioContext suspended until the
 * page has had a user gesture; then the beep is simply silent, which is the polite outcome.
 */
let audio: AudioContext | undefined;

export function beep(): void {
  try {
    audio ||= new AudioContext();
    if (audio.state === 'suspended') void audio.resume().catch(() => {});
    const now = audio.currentTime;
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.12, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.32);
    const tone = audio.createOscillator();
    tone.type = 'sine';
    tone.frequency.setValueAtTime(880, now);
    tone.frequency.setValueAtTime(1175, now + 0.12);
    tone.connect(gain);
    tone.start(now);
    tone.stop(now + 0.34);
  } catch {
    /* no WebAudio (old browser, locked-down frame): stay silent */
  }
}
