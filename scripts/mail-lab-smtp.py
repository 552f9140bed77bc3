"""The mail lab's SMTP server: accepts mail on 127.0.0.1 and delivers it into dovecot over
LMTP, answering 250 only once the message is in the mailbox. A recipient dovecot does not
know is refused at RCPT time (550), as a real provider's server refuses it.

Usage: mail-lab-smtp.py SMTP_PORT LMTP_PORT [SMTPS_PORT CERT KEY]
(with SMTPS_PORT, a second listener speaks implicit TLS with the given certificate, and the
first offers STARTTLS)

A file `smtp-stall` in $MAIL_LAB_DIR holding a number of seconds makes the server deliver each
message and then wait that long before its 250, as an overloaded server does: tests use it to
kill a client that has sent a letter but not yet heard it was taken.

A file `smtp-refuse-sender` in $MAIL_LAB_DIR holding an SMTP reply ("550 5.7.1 ...") makes the
server refuse the sender with it, as a provider refuses an account it has blocked: the shopper's
side failing, not the store's.

A file `smtp-login` in $MAIL_LAB_DIR holding `user:password` makes the server offer AUTH
(PLAIN, LOGIN; also without TLS, this being loopback) and require it, answering a wrong
password with 535 as a provider does. It is read at each connection, so a test can add it
after the lab started.
"""
import asyncio
import os
import signal
import smtplib
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer, AuthResult, LoginPassword

SMTP_PORT, LMTP_PORT = int(sys.argv[1]), int(sys.argv[2])


class Relay:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refuse = os.path.join(os.environ.get("MAIL_LAB_DIR", "."), "smtp-refuse-sender")
        if os.path.exists(refuse):
            with open(refuse) as f:
                return f.read().strip()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        def known():
            with smtplib.LMTP("127.0.0.1", LMTP_PORT, timeout=10) as lmtp:
                lmtp.ehlo("mail-lab")
                lmtp.mail("<>")
                code, _ = lmtp.rcpt(address)
                lmtp.rset()
                return code < 300

        if not await asyncio.get_running_loop().run_in_executor(None, known):
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        def deliver():
            # One LMTP transaction per recipient: LMTP answers DATA once per recipient, which
            # smtplib reads as a single answer.
            refused = {}
            with smtplib.LMTP("127.0.0.1", LMTP_PORT, timeout=30) as lmtp:
                for rcpt in envelope.rcpt_tos:
                    refused.update(lmtp.sendmail(envelope.mail_from, [rcpt], envelope.original_content))
            return refused

        try:
            refused = await asyncio.get_running_loop().run_in_executor(None, deliver)
        except smtplib.SMTPException as e:
            return f"451 4.3.0 delivery failed: {e}"
        if refused:
            return f"550 5.1.1 refused: {', '.join(refused)}"
        stall = os.path.join(os.environ.get("MAIL_LAB_DIR", "."), "smtp-stall")
        if os.path.exists(stall):
            with open(stall) as f:
                await asyncio.sleep(float(f.read().strip() or 0))
        return "250 2.0.0 delivered"


class Server(Controller):
    def __init__(self, *args, starttls=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.starttls = starttls

    def factory(self):
        login = os.path.join(os.environ.get("MAIL_LAB_DIR", "."), "smtp-login")
        auth = {}
        if os.path.exists(login):
            with open(login) as f:
                user, _, password = f.read().strip().partition(":")

            def check(server, session, envelope, mechanism, data):
                ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
                return AuthResult(success=ok, handled=False)

            auth = dict(authenticator=check, auth_required=True, auth_require_tls=False)
        return SMTPServer(self.handler, hostname="mail-lab.test", decode_data=False, tls_context=self.starttls, **auth)


if __name__ == "__main__":
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    context = None
    if len(sys.argv) == 6:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[4], sys.argv[5])
    # With a certificate, the plain port offers STARTTLS too.
    controllers = [Server(Relay(), hostname="127.0.0.1", port=SMTP_PORT, starttls=context)]
    if context:
        controllers.append(Server(Relay(), hostname="127.0.0.1", port=int(sys.argv[3]), ssl_context=context))
    for c in controllers:
        c.start()
    try:
        signal.sigwait(stop)
    finally:
        for c in controllers:
            c.stop()
