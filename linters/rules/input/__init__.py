"""SG900-SG902: what ``sendguard lint`` says about its input rather than a message.

``linters.lint`` reports them where it reads templates, suppression comments and
files; no message is judged for them, so their rule functions find nothing.
"""
