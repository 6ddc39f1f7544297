import { Link } from 'react-router';

export default function PrivacyPage() {
  return (
    <div className="app">
      <main id="main" className="prose">
        <p>
          <Link to="/projects">← Coffer</Link>
        </p>
        <h1>Privacy policy</h1>
        <p>
          This Coffer is run by your organisation on its own servers. Nothing you store here is sent to the makers of
          Coffer or to any third party.
        </p>
        <h2>What is stored</h2>
        <ul>
          <li>Your account: name, email address and a bcrypt hash of your password.</li>
          <li>Your sessions: the device's user agent, IP address and times of use, so you can see and end them.</li>
          <li>Secrets, encrypted with a per-project key; their plaintext never reaches the database or logs.</li>
          <li>
            An append-only audit log of who did what and when (including reads of secrets), with IP address and user
            agent, which administrators use to answer security questions.
          </li>
        </ul>
        <h2>Cookies</h2>
        <p>
          Coffer sets three strictly necessary cookies for signing in: an access token, a refresh token and an
          anti-forgery token. There are no analytics or advertising cookies, and the web client stores nothing in your
          browser's local storage.
        </p>
        <h2>Your rights</h2>
        <p>
          On your <Link to="/account">account page</Link> you can download everything Coffer holds about you and delete
          your account. Audit events keep an anonymous id after deletion, so the log stays verifiable. For anything
          else, contact the administrators of this Coffer.
        </p>
      </main>
    </div>
  );
}
