// The mdh web softphone: JsSIP (packed from its npm package by `mdh web`) over WSS to the serving host.
// URL parameters user, pass, target prefill the form; answer=1 answers incoming calls at once.

(() => {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  $('user').value = q.get('user') || 'web';
  $('pass').value = q.get('pass') || '';
  $('target').value = q.get('target') || `sip:echo@${location.hostname}`;
  const phone = { registered: false, state: 'idle', endCause: null, stats: null, ua: null, session: null };
  window.phone = phone;
  const show = (id, v) => {
    $(id).textContent = String(v);
  };
  const setState = (s) => {
    phone.state = s;
    show('state', s);
    const busy = !['idle', 'ended', 'failed'].includes(s);
    $('call').disabled = busy;
    $('hangup').disabled = !busy;
  };
  let ua;
  const start = () => {
    if (ua) return ua;
    const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(`wss://${location.host}/`)],
      uri: `sip:${$('user').value}@${host}`,
      password: $('pass').value,
      register: true,
      session_timers: false,
    });
    phone.ua = ua;
    ua.on('registered', () => {
      phone.registered = true;
      show('reg', 'registered');
    });
    ua.on('registrationFailed', (e) => show('reg', `failed: ${e.cause}`));
    ua.on('newRTCSession', (e) => {
      track(e.session);
      if (e.originator === 'remote') {
        setState('ringing');
        if (q.get('answer') === '1')
          e.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
      }
    });
    ua.start();
    return ua;
  };
  let timer;
  const track = (session) => {
    phone.session = session;
    phone.endCause = null;
    session.on('progress', () => setState('ringing'));
    session.on('accepted', () => setState('answered'));
    session.on('confirmed', () => setState('in call'));
    const end = (what) => (e) => {
      phone.endCause = e.cause;
      setState(what);
      show('state', `${what} (${e.originator}: ${e.cause})`);
      clearInterval(timer);
    };
    session.on('ended', end('ended'));
    session.on('failed', end('failed'));
    session.on('peerconnection', (e) => watch(e.peerconnection));
    if (session.connection) watch(session.connection);
  };
  const watch = (pc) => {
    if (phone.pc === pc) return;
    phone.pc = pc;
    pc.addEventListener('track', (e) => {
      $('remote').srcObject = e.streams[0] || new MediaStream([e.track]);
    });
    clearInterval(timer);
    timer = setInterval(async () => {
      const stats = await pc.getStats();
      const out = { ice: pc.iceConnectionState, dtls: undefined, codec: undefined };
      stats.forEach((s) => {
        if (s.type === 'transport') out.dtls = s.dtlsState;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          out.packetsReceived = s.packetsReceived;
          out.jitter = s.jitter;
          out.audioLevel = s.audioLevel;
          const c = s.codecId && stats.get(s.codecId);
          if (c) out.codec = `${c.mimeType.replace('audio/', '')}/${c.clockRate}`;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent = s.packetsSent;
      });
      phone.stats = out;
      show('ice', out.ice);
      show('dtls', out.dtls ?? '-');
      show('codec', out.codec ?? '-');
      show('rx', out.packetsReceived ?? '-');
      show('tx', out.packetsSent ?? '-');
      show('jitter', out.jitter === undefined ? '-' : `${(out.jitter * 1000).toFixed(1)} ms`);
      show('level', out.audioLevel === undefined ? '-' : out.audioLevel.toFixed(3));
    }, 250);
  };
  phone.call = () => {
    start();
    const go = () => {
      setState('calling');
      ua.call($('target').value, {
        mediaConstraints: { audio: true, video: false },
        pcConfig: { iceServers: [] },
      });
    };
    if (ua.isConnected()) go();
    else ua.once('connected', go);
  };
  phone.hangup = () => {
    if (phone.session && !phone.session.isEnded()) phone.session.terminate();
  };
  phone.register = start;
  $('call').addEventListener('click', () => phone.call());
  $('hangup').addEventListener('click', () => phone.hangup());
  if (q.get('register') === '1') start();
})();
