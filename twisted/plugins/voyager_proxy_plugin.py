from twisted.application.service import ServiceMaker

voyager_proxy = ServiceMaker(
    "voyager-proxy",
    "voyager_proxy.tap",
    "Proxy one self-healing Voyager session to REST and WebSocket clients.",
    "voyager-proxy",
)
voyager_sim = ServiceMaker(
    "voyager-sim",
    "voyager_proxy.simulator.tap",
    "A Voyager Application Server simulator, for tests and demos.",
    "voyager-sim",
)
