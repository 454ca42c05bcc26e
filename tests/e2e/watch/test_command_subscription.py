"""A command subscription (`command: [sh, -c, "cat > OUTFILE"]`) runs on a transition with
the webhook's SNS envelope on stdin: Type Notification, the alarm's Subject and the alarm
JSON as Message. It runs once per transition: later evaluations in the same state do not
run it again."""
import json
import os
import time

from harness import App, Tierd, wait_for
from watchkit import alarms, listener_stack, no_data_alarm


def test_command_subscription_gets_the_envelope_on_stdin():
    with App() as app:
        t = Tierd(listener_stack(app.addr, no_data_alarm("cmd-alarm", topic="script"),
                                 "  script:\n    subscriptions:\n"
                                 '      - command: [sh, -c, "cat >> ${dir}/out.json"]\n'))
        out = os.path.join(t.dir, "out.json")
        with t:
            wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 0
                     and open(out).read().endswith("}"), 20, interval=0.1,
                     what="the command's output file")
            body = open(out).read()
            env = json.loads(body)          # exactly one JSON document: one run
            assert env["Type"] == "Notification"
            assert env["TopicArn"] == "arn:tierd:sns:local:script"
            assert env["Subject"] == 'ALARM: "cmd-alarm" in tierd'
            msg = json.loads(env["Message"])
            assert msg["AlarmName"] == "cmd-alarm"
            assert msg["NewStateValue"] == "ALARM"
            assert msg["OldStateValue"] == "INSUFFICIENT_DATA"
            assert msg["Trigger"]["MetricName"] == "BlockedRequests"
            assert msg["Trigger"]["TreatMissingData"] == "breaching"
            assert alarms(t)["cmd-alarm"]["state"] == "ALARM"
            # Evaluations every 10 s keep it in ALARM: no second run.
            time.sleep(11)
            assert open(out).read() == body
