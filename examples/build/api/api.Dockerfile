ARG BASE
FROM $BASE
COPY health.json /www/health.json
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
