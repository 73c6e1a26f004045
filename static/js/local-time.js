/*
 * Event times in the visitor's own time zone.
 *
 * The server renders "your time" in UTC, labelled "UTC", so the page is correct without
 * this script. Here the browser's zone replaces it: <time data-local-time> elements get
 * their text rewritten, "Your time (UTC)" labels name the browser's zone and hidden
 * night notices are filled in when an event falls between 22:00 and 07:00 locally.
 * Elements marked data-zone-fixed carry the member's profile zone and are left alone.
 */
(function () {
    "use strict";

    var zone;
    try {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
        return;
    }
    if (!zone) {
        return;
    }
    var lang = document.documentElement.lang || undefined;
    var NIGHT_FROM = 22 * 60;
    var NIGHT_TO = 7 * 60;
    var DAY = 24 * 60;

    function formatter(options) {
        var all = { timeZone: zone };
        for (var key in options) {
            all[key] = options[key];
        }
        try {
            return new Intl.DateTimeFormat(lang, all);
        } catch (error) {
            // An unknown page language must not cost the visitor their local times.
            return new Intl.DateTimeFormat(undefined, all);
        }
    }

    var styles = {
        datetime: formatter({ dateStyle: "medium", timeStyle: "short" }),
        date: formatter({ dateStyle: "medium" }),
        time: formatter({ timeStyle: "short" }),
    };
    var clock = formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    var dayKey = new Intl.DateTimeFormat("en-CA", {
        timeZone: zone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
    });
    var zoneNamer = formatter({ timeZoneName: "short" });

    function parse(value) {
        var date = value ? new Date(value) : null;
        return date && !isNaN(date.getTime()) ? date : null;
    }

    function minutesOfDay(date) {
        var parts = clock.formatToParts(date);
        var hour = 0;
        var minute = 0;
        parts.forEach(function (part) {
            if (part.type === "hour") {
                hour = parseInt(part.value, 10) % 24;
            } else if (part.type === "minute") {
                minute = parseInt(part.value, 10);
            }
        });
        return hour * 60 + minute;
    }

    function shortZoneName(date) {
        var found = zone;
        zoneNamer.formatToParts(date).forEach(function (part) {
            if (part.type === "timeZoneName") {
                found = part.value;
            }
        });
        return found;
    }

    function fill(template, values) {
        return template.replace(/\{(\w+)\}/g, function (match, name) {
            return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
        });
    }

    // Same rule as the server: a time on another local day than its reference shows the date.
    function rewriteTime(element) {
        var date = parse(element.getAttribute("datetime"));
        if (!date) {
            return;
        }
        var style = element.getAttribute("data-style") || "datetime";
        var reference = parse(element.getAttribute("data-day-of"));
        if (style === "time" && reference && dayKey.format(reference) !== dayKey.format(date)) {
            style = "datetime";
        }
        var format = styles[style] || styles.datetime;
        element.textContent = format.format(date);
        element.setAttribute("data-local-zone-applied", zone);
    }

    function rewriteRangeZone(range) {
        var label = range.querySelector("[data-local-zone]");
        var first = range.querySelector("time[data-local-time]:not([data-zone-fixed])");
        var date = first ? parse(first.getAttribute("datetime")) : null;
        if (label && date) {
            label.textContent = shortZoneName(date);
        }
    }

    // Night if any part of [start, end) lies between 22:00 and 07:00 on the local clock.
    function atNight(start, end) {
        var from = minutesOfDay(start);
        var length = Math.max((end.getTime() - start.getTime()) / 60000, 0.001);
        if (length >= DAY) {
            return false;
        }
        var to = from + length;
        for (var day = -1; day <= 1; day += 1) {
            var nightFrom = NIGHT_FROM + day * DAY;
            var nightTo = DAY + NIGHT_TO + day * DAY;
            if (from < nightTo && to > nightFrom) {
                return true;
            }
        }
        return false;
    }

    function fillNotice(notice) {
        var start = parse(notice.getAttribute("data-start"));
        var end = parse(notice.getAttribute("data-end"));
        var template = notice.getAttribute("data-template");
        if (!start || !end || !template || !atNight(start, end)) {
            return;
        }
        notice.textContent = fill(template, {
            start: clock.format(start),
            end: clock.format(end),
            zone: zone,
        });
        notice.hidden = false;
    }

    function run() {
        document
            .querySelectorAll("time[data-local-time]:not([data-zone-fixed])")
            .forEach(rewriteTime);
        document.querySelectorAll("[data-local-range]").forEach(rewriteRangeZone);
        document.querySelectorAll("[data-local-label]").forEach(function (label) {
            var template = label.getAttribute("data-template");
            if (template) {
                label.textContent = fill(template, { zone: zone });
            }
        });
        // The event's own line already gives the time when the browser shares its zone.
        document.querySelectorAll("[data-viewer-time]:not([data-zone-fixed])").forEach(function (row) {
            if (row.getAttribute("data-event-zone") === zone) {
                row.hidden = true;
            }
        });
        document.querySelectorAll("[data-night-notice]").forEach(fillNotice);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", run);
    } else {
        run();
    }
})();
