// The part of the mdh web softphone both SIP libraries share: the visible call state and live getStats() figures.
// Defines globalThis.mdhPhone(): the `phone` object tests and people read (state, registered, stats, endCause).

globalThis.mdhPhone = () => {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  $('user').value = q.get('user') || 'web';
  $('pass').value = q.get('pass') || '';
  $('target').value = q.get('target') || `sip:echo@${location.hostname}`;
  const phone = { registered: false, state: 'idle', endCause: null, stats: null, pc: null, q, $ };
  window.phone = phone;
  const show = (id, v) => {
    $(id).textContent = String(v);
  };
  phone.show = show;
  phone.setState = (s, shown) => {
    phone.state = s;
    show('state', shown ?? s);
    const busy = !['idle', 'ended', 'failed'].includes(s);
    $('call').disabled = busy;
    $('hangup').disabled = !busy;
  };
  // the strongest frequency of the received audio (WebAudio AnalyserNode), shown as "Tone heard"
  let analyser;
  phone.listen = (track) => {
    if (analyser && analyser.track === track) return;
    const ctx = new AudioContext();
    void ctx.resume();
    const node = ctx.createAnalyser();
    node.fftSize = 8192;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(node);
    analyser = { track, ctx, node };
  };
  phone.peakHz = () => {
    if (!analyser) return null;
    const { ctx, node } = analyser;
    const bins = new Float32Array(node.frequencyBinCount);
    node.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return { hz: (best * ctx.sampleRate) / node.fftSize, db: bins[best], binHz: ctx.sampleRate / node.fftSize };
  };
  let timer;
  phone.unwatch = () => clearInterval(timer);
  // live figures of a peer connection, four times a second
  phone.watch = (pc) => {
    if (phone.pc === pc) return;
    phone.pc = pc;
    pc.addEventListener('track', (e) => {
      $('remote').srcObject = e.streams[0] || new MediaStream([e.track]);
      phone.listen(e.track);
    });
    for (const r of pc.getReceivers()) if (r.track && r.track.kind === 'audio') phone.listen(r.track);
    clearInterval(timer);
    timer = setInterval(async () => {
      const stats = await pc.getStats();
      const out = { ice: pc.iceConnectionState, dtls: undefined, codec: undefined };
      let rtpTransport;
      stats.forEach((s) => {
        if (s.type === 'transport') out.dtls ??= s.dtlsState;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          rtpTransport = s.transportId && stats.get(s.transportId);
          out.packetsReceived = s.packetsReceived;
          out.jitter = s.jitter;
          out.audioLevel = s.audioLevel;
          const c = s.codecId && stats.get(s.codecId);
          if (c) out.codec = `${c.mimeType.replace('audio/', '')}/${c.clockRate}`;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent = s.packetsSent;
      });
      // the DTLS state of the transport the audio arrives on (an unused RTCP transport may stay "new")
      if (rtpTransport) out.dtls = rtpTransport.dtlsState;
      phone.stats = out;
      show('ice', out.ice);
      show('dtls', out.dtls ?? '-');
      show('codec', out.codec ?? '-');
      show('rx', out.packetsReceived ?? '-');
      show('tx', out.packetsSent ?? '-');
      show('jitter', out.jitter === undefined ? '-' : `${(out.jitter * 1000).toFixed(1)} ms`);
      show('level', out.audioLevel === undefined ? '-' : out.audioLevel.toFixed(3));
      const peak = phone.peakHz();
      show('tone', peak && peak.db > -70 ? `${Math.round(peak.hz)} Hz` : '-');
    }, 250);
  };
  $('call').addEventListener('click', () => phone.call());
  $('hangup').addEventListener('click', () => phone.hangup());
  return phone;
};
