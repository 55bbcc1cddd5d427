from __future__ import annotations

import pytest

from services.common.web.device import device

CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
EDGE = CHROME_WIN + " Edg/120.0.2210.91"
WECHAT_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI")
SAFARI_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.1 Safari/605.1.15")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/116.0.0.0 Mobile Safari/537.36")


@pytest.mark.parametrize("ua, shown", [
    (CHROME_WIN, "Chrome · Windows"), (EDGE, "Edge · Windows"),
    (WECHAT_IPHONE, "微信 · iPhone"), (SAFARI_MAC, "Safari · macOS"),
    (ANDROID, "Chrome · Android"), ("python-requests/2.32", "python-requests/2.32"),
    ("", "未知设备"), (None, "未知设备")])
def test_devices_read_as_people_name_them(ua, shown):
    assert device(ua) == shown


def test_a_scope_reads_as_words_not_a_dict():
    from services.common.web.ops import scope_text
    assert scope_text({"province": "50", "review_point": None}, {"50": "重庆市"}) \
        == "省份 重庆市；审核点 全部"
    assert scope_text({"unit_id": "u-9"}) == "受理单位 u-9"
    assert scope_text(None) == ""
