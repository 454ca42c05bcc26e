"""An email subscription delivers the transition as a text/plain mail through `smtp` to a
local SMTP sink: envelope sender smtp.from, the subscription's address as recipient,
Subject `ALARM: "<name>" in tierd`, Message-ID <MessageId@tierd> and the alarm JSON
(pretty-printed) as the body; exactly one mail for one transition."""
import email
import email.policy
import json
import time

from harness import App, Tierd, wait_for
from watchkit import SmtpSink, alarms, listener_stack, no_data_alarm


def test_alarm_mail_reaches_the_smtp_sink():
    with App() as app, SmtpSink() as sink:
        stack = listener_stack(
            app.addr, no_data_alarm("mail-alarm", topic="mail"),
            "  mail:\n    subscriptions:\n      - email: ops@example.test\n",
            extra=f"smtp: {{ url: 'smtp://127.0.0.1:{sink.port}', from: tierd@example.test }}\n")
        with Tierd(stack) as t:
            wait_for(lambda: sink.mails, 30, interval=0.1, what="a mail at the SMTP sink")
            assert alarms(t)["mail-alarm"]["state"] == "ALARM"
            time.sleep(2)                   # a second mail would have come by now
        assert len(sink.mails) == 1, sink.mails
        mail_from, rcpts, raw = sink.mails[0]
        assert mail_from == "tierd@example.test"
        assert rcpts == ["ops@example.test"]
        m = email.message_from_bytes(raw, policy=email.policy.default)
        assert m["Subject"] == 'ALARM: "mail-alarm" in tierd', raw[:500]
        assert m.get_content_type() == "text/plain"
        assert m.get_content_charset() == "utf-8"
        assert m["Message-ID"].endswith("@tierd>") and m["Message-ID"].startswith("<")
        assert "ops@example.test" in m["To"] and "tierd@example.test" in m["From"]
        alarm = json.loads(m.get_content())
        assert alarm["AlarmName"] == "mail-alarm"
        assert alarm["NewStateValue"] == "ALARM"
        assert alarm["OldStateValue"] == "INSUFFICIENT_DATA"
