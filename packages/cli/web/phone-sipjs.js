// The mdh web softphone on SIP.js (its ES modules served from the npm package by `mdh web` under /sip.js/) over WSS
// to the serving host. The same page, URL parameters and `phone` object as the JsSIP one (phone.js).
import { Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent } from '/sip.js/index.js';

const phone = globalThis.mdhPhone();
const { $, q, show, setState } = phone;
const media = { constraints: { audio: true, video: false } };
let ua;
let registerer;

const track = (session) => {
  phone.session = session;
  phone.endCause = null;
  let answered = false;
  session.stateChange.addListener((s) => {
    if (s === SessionState.Establishing) setState(session instanceof Invitation ? 'ringing' : 'calling');
    else if (s === SessionState.Established) {
      answered = true;
      const sdh = session.sessionDescriptionHandler;
      $('remote').srcObject = sdh.remoteMediaStream;
      phone.watch(sdh.peerConnection);
      setState('in call');
    } else if (s === SessionState.Terminated) {
      const what = answered ? 'ended' : 'failed';
      setState(what, `${what} (${phone.endCause ?? 'terminated'})`);
      phone.unwatch();
    }
  });
};

const start = async () => {
  if (ua) return ua;
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${$('user').value}@${host}`),
    transportOptions: { server: `wss://${location.host}/` },
    authorizationUsername: $('user').value,
    authorizationPassword: $('pass').value,
    sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] } },
    delegate: {
      onInvite: (inv) => {
        track(inv);
        setState('ringing');
        if (q.get('answer') === '1') inv.accept({ sessionDescriptionHandlerOptions: media });
      },
    },
  });
  phone.ua = ua;
  await ua.start();
  registerer = new Registerer(ua);
  registerer.stateChange.addListener((s) => {
    phone.registered = s === RegistererState.Registered;
    if (phone.registered) show('reg', 'registered');
  });
  await registerer.register({
    requestDelegate: {
      onReject: (res) => show('reg', `failed: ${res.message.statusCode} ${res.message.reasonPhrase}`),
    },
  });
  return ua;
};

phone.register = () => void start();
phone.call = async () => {
  await start();
  const target = UserAgent.makeURI($('target').value);
  if (!target) {
    show('state', 'bad target');
    return;
  }
  const inviter = new Inviter(ua, target, { sessionDescriptionHandlerOptions: media });
  track(inviter);
  setState('calling');
  await inviter.invite({
    requestDelegate: {
      onReject: (res) => {
        phone.endCause = `${res.message.statusCode} ${res.message.reasonPhrase}`;
      },
    },
  });
};
phone.hangup = () => {
  const s = phone.session;
  if (!s) return;
  if (s.state === SessionState.Established) void s.bye();
  else if (s instanceof Inviter && s.state === SessionState.Establishing) void s.cancel();
  else if (s instanceof Invitation && s.state !== SessionState.Terminated) void s.reject();
};
if (q.get('register') === '1') phone.register();
