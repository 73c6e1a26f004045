/*
 * Event times in the visitor's own time zone.
 *
 * The server renders "your time" in UTC, labelled "UTC", so the page is correct without
 * this script. Here the browser's zone replaces it: <time data-local-time> elements get
 * their text rewritten, the zone label next to them names the browser's zone ("Paris
 * (UTC+1)") and hidden night notices are filled in when an event falls between 22:00 and
 * 07:00 locally. Elements marked data-zone-fixed carry the member's profile zone and are
 * left alone.
 *
 * The text has the site's one shape (community/timeformat.py): the script tag carries it
 * in data-time-shape — the tokens of the date and time, the page language's weekday and
 * month names, the joins — so a time written here reads exactly like one the server wrote.
 * Intl.DateTimeFormat does the zone arithmetic: it gives the wall-clock fields of an
 * instant in the browser's zone, and those fill the shape.
 */
(function () {
    "use strict";

    var script = document.currentScript || document.querySelector("script[data-time-shape]");
    var shape;
    var zone;
    try {
        shape = JSON.parse(script.getAttribute("data-time-shape"));
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
        return;
    }
    if (!zone || !shape) {
        return;
    }
    var NIGHT_FROM = 22 * 60;
    var NIGHT_TO = 7 * 60;
    var DAY = 24 * 60;
    var STATES = { Indiana: "Indiana", Kentucky: "Kentucky", North_Dakota: "North Dakota" };

    // Latin digits and a 24-hour clock whatever the browser's language: these are numbers
    // to compute with, not text to show.
    var fieldsFormat = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        hourCycle: "h23",
        numberingSystem: "latn",
    });

    function fields(date) {
        var out = {};
        fieldsFormat.formatToParts(date).forEach(function (part) {
            if (part.type !== "literal") {
                out[part.type] = parseInt(part.value, 10);
            }
        });
        out.hour = out.hour % 24;
        // Monday = 0, as in Python's weekday() and the names the server sends.
        out.weekday = (new Date(Date.UTC(out.year, out.month - 1, out.day)).getUTCDay() + 6) % 7;
        out.offset = Math.round(
            (Date.UTC(out.year, out.month - 1, out.day, out.hour, out.minute) -
                Math.floor(date.getTime() / 60000) * 60000) /
                60000
        );
        return out;
    }

    function pad(number) {
        return (number < 10 ? "0" : "") + number;
    }

    function render(tokens, f) {
        return tokens
            .map(function (token) {
                if (typeof token === "string") {
                    return token;
                }
                var code = token[0];
                var names = shape.names[code];
                switch (code) {
                    case "l":
                    case "D":
                        return names[f.weekday];
                    case "F":
                    case "N":
                    case "M":
                    case "b":
                    case "E":
                        return names[f.month - 1];
                    case "d":
                        return pad(f.day);
                    case "j":
                        return String(f.day);
                    case "m":
                        return pad(f.month);
                    case "n":
                        return String(f.month);
                    case "Y":
                        return String(f.year);
                    case "y":
                        return pad(f.year % 100);
                    case "H":
                        return pad(f.hour);
                    case "G":
                        return String(f.hour);
                    case "i":
                        return pad(f.minute);
                }
                return "";
            })
            .join("");
    }

    function dateText(f) {
        return render(shape.date, f);
    }
    function clockText(f) {
        return render(shape.time, f);
    }
    function dateTimeText(f) {
        return dateText(f) + shape.join + clockText(f);
    }

    function offsetText(minutes) {
        if (!minutes) {
            return "UTC";
        }
        var sign = minutes > 0 ? "+" : shape.minus;
        var hours = Math.floor(Math.abs(minutes) / 60);
        var rest = Math.abs(minutes) % 60;
        return "UTC" + sign + hours + (rest ? ":" + pad(rest) : "");
    }

    // The same rule as community.timezones.zone_city: the city from the zone's id.
    function city(name) {
        var parts = name.split("/");
        if (parts.length < 2 || parts[0] === "Etc") {
            return "";
        }
        var text = parts[parts.length - 1].replace(/_/g, " ");
        if (parts.length === 3 && STATES[parts[1]]) {
            text += ", " + STATES[parts[1]];
        }
        return text;
    }

    // Browsers may report a zone by an old name ("Asia/Calcutta"); the server's list maps
    // those whose city reads differently to today's zone.
    var place = city((shape.renamed && shape.renamed[zone]) || zone);

    function zoneLabel(date) {
        var offset = offsetText(fields(date).offset);
        return place ? place + " (" + offset + ")" : offset;
    }

    function withZone(when, date) {
        return shape.withZone.replace("%(when)s", when).replace("%(zone)s", zoneLabel(date));
    }

    function parse(value) {
        var date = value ? new Date(value) : null;
        return date && !isNaN(date.getTime()) ? date : null;
    }

    function sameDay(a, b) {
        return a.year === b.year && a.month === b.month && a.day === b.day;
    }

    // Same rule as the server: a time on another local day than its reference shows the date.
    // Returns whether the element shows a date.
    function rewriteTime(element) {
        var date = parse(element.getAttribute("datetime"));
        if (!date) {
            return false;
        }
        var f = fields(date);
        var style = element.getAttribute("data-style") || "datetime";
        var reference = parse(element.getAttribute("data-day-of"));
        if (style === "time" && reference && !sameDay(fields(reference), f)) {
            style = "datetime";
        }
        element.textContent =
            style === "time" ? clockText(f) : style === "date" ? dateText(f) : dateTimeText(f);
        element.setAttribute("data-local-zone-applied", zone);
        return style !== "time";
    }

    function rewriteRange(range) {
        var times = range.querySelectorAll("time[data-local-time]:not([data-zone-fixed])");
        if (!times.length) {
            return;
        }
        var shownDate = [];
        times.forEach(function (element) {
            shownDate.push(rewriteTime(element));
        });
        var dash = range.querySelector("[data-range-dash]");
        if (dash && times.length > 1) {
            // An end on another day is written in full, and a spaced dash separates the two.
            dash.textContent = shownDate[1] && times[1].getAttribute("data-style") === "time"
                ? " " + shape.dash + " "
                : shape.dash;
        }
        var label = range.querySelector("[data-local-zone]");
        var first = parse(times[0].getAttribute("datetime"));
        if (label && first) {
            label.textContent = zoneLabel(first);
        }
    }

    function minutesOfDay(date) {
        var f = fields(date);
        return f.hour * 60 + f.minute;
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
        var clocks = clockText(fields(start)) + shape.dash + clockText(fields(end));
        notice.textContent = template.replace("{when}", withZone(clocks, start));
        notice.hidden = false;
    }

    function run() {
        document.querySelectorAll("[data-local-range]").forEach(rewriteRange);
        document
            .querySelectorAll("time[data-local-time]:not([data-zone-fixed]):not([data-local-zone-applied])")
            .forEach(rewriteTime);
        // The event's own line already gives the time when the browser shares its zone.
        document.querySelectorAll("[data-viewer-time]:not([data-zone-fixed])").forEach(function (row) {
            var eventZone = row.getAttribute("data-event-zone");
            if (eventZone === zone || (place && city(eventZone) === place)) {
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
