"""CPU load on an auto scaling group drives an alarm through its states and notifies a
signed webhook once per transition. The group "web" runs one build/app instance; the alarm
`high-cpu` is cpu_utilization of the group, average over 10 s periods, ALARM when 2 of the
last 2 exceed 20 %. Idle, it goes INSUFFICIENT_DATA -> OK; under /work?ms=50 load it goes
OK -> ALARM, and the receiver gets exactly one ALARM message, SNS-shaped, signed with
X-Tierd-Signature = sha256=hex(HMAC-SHA256(secret, body)), its Message the CloudWatch alarm
JSON with the Trigger as configured; `tierd alarms` shows ALARM; when the load stops it
goes ALARM -> OK and the OK message arrives. Three transitions, three messages."""
import json
import re
import time

from harness import APP, Tierd, get, wait_for
from watchkit import (CpuLoad, Receiver, alarms, asg_stack, cli, wait_state,
                      webhook_topic)

HIGH_CPU = ("  high-cpu:\n"
            "    metric: cpu_utilization\n"
            "    dimensions: { auto_scaling_group: web }\n"
            "    statistic: average\n"
            "    period: 10s\n"
            "    evaluation_periods: 2\n"
            "    datapoints_to_alarm: 2\n"
            "    comparison: greater_than_threshold\n"
            "    threshold: 20\n"
            "    description: CPU of the web group\n"
            "    alarm_actions: [ops]\n"
            "    ok_actions: [ops]\n")


def test_cpu_load_alarms_then_recovers_with_one_signed_message_each():
    with Receiver() as r:
        r.start()
        with Tierd(asg_stack(APP, HIGH_CPU, webhook_topic(r.url))) as t:
            wait_for(lambda: get(t.url("/health")).status == 200, 40, interval=0.25,
                     what="an instance serving")
            # Idle: the first datapoints are below the threshold.
            wait_state(t, "high-cpu", "OK", 40)
            wait_for(lambda: r.acked(), 15, interval=0.1, what="the OK message")
            assert [d.transition for d in r.acked()] == [
                ("high-cpu", "INSUFFICIENT_DATA", "OK")]

            with CpuLoad(t.url("/work?ms=50"), threads=2) as load:
                a = wait_state(t, "high-cpu", "ALARM", 60)
                wait_for(lambda: len(r.acked()) >= 2, 15, interval=0.1,
                         what="the ALARM message")
                table = cli(t, "alarms")
                as_json = cli(t, "alarms", "--json")
            assert load.ok > 20 and load.failed == 0, (load.ok, load.failed)
            stopped = time.monotonic()

            assert table.returncode == 0, table.stderr
            lines = table.stdout.splitlines()
            assert lines[0].split() == ["NAME", "STATE", "UPDATED", "REASON"], table.stdout
            row = [ln for ln in lines[1:] if ln.split()[0] == "high-cpu"]
            assert len(row) == 1 and row[0].split()[1] == "ALARM", table.stdout
            assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a["updated"])) in row[0]
            assert "Threshold Crossed" in row[0]
            assert as_json.returncode == 0, as_json.stderr
            j = {x["name"]: x for x in json.loads(as_json.stdout)["alarms"]}
            assert j["high-cpu"]["state"] == "ALARM"
            assert j["high-cpu"]["metric"] == "cpu_utilization"

            wait_state(t, "high-cpu", "OK", 45)
            recovered = time.monotonic() - stopped
            wait_for(lambda: len(r.acked()) >= 3, 15, interval=0.1, what="the OK message")
            time.sleep(1.5)             # a duplicate would have come by now
            final = alarms(t)["high-cpu"]

        assert not r.problems, r.problems
        got = r.all()
        assert [d.transition for d in got] == [
            ("high-cpu", "INSUFFICIENT_DATA", "OK"),
            ("high-cpu", "OK", "ALARM"),
            ("high-cpu", "ALARM", "OK"),
        ], got
        assert len({d.id for d in got}) == 3
        assert all(d.status == 200 for d in got)
        assert recovered < 40, recovered
        assert final["state"] == "OK"

        alarm = got[1]
        assert alarm.doc["Type"] == "Notification"
        assert alarm.doc["TopicArn"] == "arn:tierd:sns:local:ops"
        assert alarm.doc["Subject"] == 'ALARM: "high-cpu" in tierd'
        m = alarm.message
        assert list(m)[:3] == ["AlarmName", "AlarmDescription", "AWSAccountId"]
        assert m["AlarmDescription"] == "CPU of the web group"
        assert m["NewStateValue"] == "ALARM" and m["OldStateValue"] == "OK"
        assert m["NewStateReason"].startswith("Threshold Crossed: 2 out of the last 2 "
                                              "datapoints ["), m["NewStateReason"]
        assert "were greater than the threshold (20.0)" in m["NewStateReason"]
        assert m["AlarmArn"] == "arn:tierd:cloudwatch:local:000000000000:alarm:high-cpu"
        assert m["AlarmActions"] == ["arn:tierd:sns:local:ops"]
        assert m["OKActions"] == ["arn:tierd:sns:local:ops"]
        assert m["InsufficientDataActions"] == []
        assert m["Trigger"] == {
            "MetricName": "CPUUtilization", "Namespace": "tierd",
            "StatisticType": "Statistic", "Statistic": "AVERAGE", "Unit": None,
            "Dimensions": [{"value": "web", "name": "auto_scaling_group"}],
            "Period": 10, "EvaluationPeriods": 2, "DatapointsToAlarm": 2,
            "ComparisonOperator": "GreaterThanThreshold", "Threshold": 20.0,
            "TreatMissingData": "missing", "EvaluateLowSampleCountPercentile": "",
        }
        ok = got[2].message
        assert ok["NewStateValue"] == "OK" and ok["OldStateValue"] == "ALARM"
        assert re.match(r"Threshold Crossed: \d out of the last 2 datapoints \[.*\] (was|were) "
                        r"not greater than the threshold \(20\.0\) \(minimum 1 datapoint for "
                        r"ALARM -> OK transition\)\.$", ok["NewStateReason"]), ok["NewStateReason"]
