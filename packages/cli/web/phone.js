// The mdh web softphone on JsSIP (packed from its npm package by `mdh web`) over WSS to the serving host.
// URL parameters user, pass, target prefill the form; register=1 registers at once; answer=1 answers incoming calls.

(() => {
  const phone = globalThis.mdhPhone();
  const { $, q, show, setState } = phone;
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
  const track = (session) => {
    phone.session = session;
    phone.endCause = null;
    session.on('progress', () => setState('ringing'));
    session.on('accepted', () => setState('answered'));
    session.on('confirmed', () => setState('in call'));
    const end = (what) => (e) => {
      phone.endCause = e.cause;
      setState(what, `${what} (${e.originator}: ${e.cause})`);
      phone.unwatch();
    };
    session.on('ended', end('ended'));
    session.on('failed', end('failed'));
    session.on('peerconnection', (e) => phone.watch(e.peerconnection));
    if (session.connection) phone.watch(session.connection);
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
  if (q.get('register') === '1') start();
})();
