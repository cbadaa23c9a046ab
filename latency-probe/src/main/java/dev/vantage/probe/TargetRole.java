package dev.vantage.probe;

/** What a probe target is to this site. */
public enum TargetRole {
    /** A backend server of one of this site's upstream groups. */
    UPSTREAM,
    /** Another site, probed for site-to-site RTT. */
    SITE;

    /** The lower-case name used in JSON and metric labels. */
    public String label() {
        return this == UPSTREAM ? "upstream" : "site";
    }
}
