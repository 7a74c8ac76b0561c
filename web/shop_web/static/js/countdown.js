/* Ticks the countdowns of the campaign pages (拼团, 秒杀) on the server's clock.
   Each [data-deadline] element was rendered with the time left as the server counted it;
   the difference between the server's time and this browser's is measured once, so a
   wrong clock on the shopper's device does not move a deadline. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function words(el, seconds) {
    if (seconds <= 0) { return el.dataset.over; }
    var days = Math.floor(seconds / 86400), rest = seconds % 86400;
    var time = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor(rest % 3600 / 60)) + ":" +
      pad(rest % 60);
    if (days) { time = el.dataset.day.replace("{d}", days) + time; }
    return el.dataset.words.replace("{time}", time);
  }
  function start() {
    var timers = Array.prototype.slice.call(document.querySelectorAll("[data-deadline]"));
    var now = Date.now();
    timers.forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline), server = Date.parse(el.dataset.serverTime);
      el.countdownEnd = isNaN(deadline) || isNaN(server) ? NaN : now + (deadline - server);
    });
    function tick() {
      var at = Date.now();
      timers.forEach(function (el) {
        if (!el.isConnected || isNaN(el.countdownEnd)) { return; }
        el.textContent = words(el, Math.max(0, Math.floor((el.countdownEnd - at) / 1000)));
      });
    }
    if (timers.length) { setInterval(tick, 1000); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
