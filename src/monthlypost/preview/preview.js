// The preview page: tabs kept in the address (#email), images on and off, and a reload when the month is rebuilt.
(function () {
  "use strict";

  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  function show(name) {
    var known = tabs.some(function (tab) { return tab.dataset.tab === name; });
    if (!known) { name = tabs.length ? tabs[0].dataset.tab : ""; }
    tabs.forEach(function (tab) {
      var on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById("panel-" + tab.dataset.tab).hidden = !on;
    });
  }
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      history.replaceState(null, "", "#" + tab.dataset.tab);
      show(tab.dataset.tab);
    });
  });
  show(location.hash.slice(1));
  window.addEventListener("hashchange", function () { show(location.hash.slice(1)); });

  var imagesOff = document.getElementById("images-off");
  function setImages() {
    var off = imagesOff.checked;
    sessionStorage.setItem("monthlypost-images-off", off ? "1" : "");
    document.querySelectorAll("iframe.email").forEach(function (frame) {
      frame.src = frame.dataset.src + (off ? "?images=off" : "");
    });
  }
  if (imagesOff) {
    imagesOff.checked = sessionStorage.getItem("monthlypost-images-off") === "1";
    if (imagesOff.checked) { setImages(); }
    imagesOff.addEventListener("change", setImages);
  }

  // Each email frame as tall as its content, so the page scrolls, not the frames.
  document.querySelectorAll("iframe").forEach(function (frame) {
    frame.addEventListener("load", function () {
      try {
        var doc = frame.contentDocument;
        if (frame.classList.contains("email")) {
          frame.style.height = doc.documentElement.scrollHeight + "px";
        }
      } catch (e) { /* not ours to measure */ }
    });
  });

  // Reload when the server says the month was built again; keep the place on the page.
  var version = document.body.dataset.version;
  var y = sessionStorage.getItem("monthlypost-scroll");
  if (y) { window.scrollTo(0, parseInt(y, 10)); sessionStorage.removeItem("monthlypost-scroll"); }
  var events = new EventSource("/events");
  events.onmessage = function (event) {
    if (event.data !== version) {
      sessionStorage.setItem("monthlypost-scroll", String(window.scrollY));
      events.close();
      location.reload();
    }
  };
  var live = document.querySelector(".live");
  events.onerror = function () { if (live) { live.classList.add("lost"); } };
  events.onopen = function () { if (live) { live.classList.remove("lost"); } };
})();
