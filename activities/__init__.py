"""The activity classes: each loads through store/, calls domain/, saves through store/."""
